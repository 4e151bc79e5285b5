"""A local, offline question-answering chatbot over a document collection, with cited answers."""
from .answer.types import Answer, Citation, Reading, RefusalReason
from .bot import AnswerStream, Chatbot
from .config import REFUSAL, Settings
from .errors import ChatbotError

__all__ = ["Answer", "AnswerStream", "Chatbot", "ChatbotError", "Citation", "REFUSAL", "Reading", "RefusalReason", "Settings"]
