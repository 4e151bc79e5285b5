"""A local, offline question-answering chatbot over a document collection, with cited answers."""
from .answering import Answer, AnswerStream, Chatbot, Citation
from .config import REFUSAL, Settings
from .errors import ChatbotError

__all__ = ["Answer", "AnswerStream", "Chatbot", "ChatbotError", "Citation", "REFUSAL", "Settings"]
