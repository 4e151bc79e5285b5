"""Screening, before anything else runs: input that cannot be a question or a chat history is an error.

The one place that checks questions and histories: the engine, the CLI and the evaluation's question
files all use it.
"""
from __future__ import annotations

from ..errors import ChatbotError

MAX_QUESTION_CHARS = 1000
HISTORY_FORMAT = 'a list of {"role": "user"|"assistant", "content": "..."} turns'


def validate_question(question: object) -> str:
    """The question, with its whitespace normalised; a ChatbotError for input that cannot be a question."""
    if not isinstance(question, str) or not question.strip():
        raise ChatbotError("The question is empty; type a question about the documents.")
    question = " ".join(question.split())
    if len(question) > MAX_QUESTION_CHARS:
        raise ChatbotError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS} characters.")
    return question


def history_problem(history: object) -> str:
    """'' for a valid chat history (None counts as empty), else what is wrong with it."""
    if history is None:
        return ""
    if not isinstance(history, list) or not all(
            isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str) for t in history):
        return f"the chat history must be {HISTORY_FORMAT}"
    return ""


def validate_history(history: object) -> list[dict]:
    problem = history_problem(history)
    if problem:
        raise ChatbotError(f"{problem[0].upper()}{problem[1:]}.")
    return list(history or [])
