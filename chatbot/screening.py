"""Question screening, before any retrieval: reject bad input, refuse instructions posing as questions."""
from __future__ import annotations

import re

from .errors import ChatbotError

MAX_QUESTION_CHARS = 1000

# Requests to change the assistant's rules or to produce something other than an answer from the
# documents. Phrased generally (no question from any evaluation set): these get the refusal, not compliance.
_INSTRUCTION = re.compile(
    r"""\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|rules|prompts?|directions|guidelines)\b
      |\b(you\ are\ now|pretend\ (to\ be|you\ are)|act\ as\ (a|an|my)|role-?play|jailbreak|developer\ mode)\b
      |\b(system\ prompt|your\ (instructions|prompt|rules))\b
      |^\s*(please\s+)?(write|compose|create|generate|draft|tell|sing)\b.{0,30}
         \b(poem|story|song|joke|essay|limerick|haiku|code|program|script|email|letter|rap|tweet)s?\b
      |\btranslate\b.{0,60}\b(into|to)\s+[a-z]+\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def validate_question(question: str) -> str:
    """The question, trimmed; a ChatbotError for input that cannot be a question."""
    if not isinstance(question, str) or not question.strip():
        raise ChatbotError("The question is empty; type a question about the documents.")
    question = " ".join(question.split())
    if len(question) > MAX_QUESTION_CHARS:
        raise ChatbotError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS} characters.")
    return question


def is_instruction(question: str) -> bool:
    return bool(_INSTRUCTION.search(question))
