"""Every rule that turns a question into a refusal, by the stage where it applies.

Phrased generally: no rule names a question of any evaluation set (docs/architecture.md, "Answering and refusing").
"""
from __future__ import annotations

import re

from ..config import REFUSAL
from ..index.retrieval import RetrievedChunk
from .check import numbers_in

# Screen: requests to change the assistant's rules or to produce something other than an answer
# from the documents.
_INSTRUCTION = re.compile(
    r"""\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|rules|prompts?|directions|guidelines)\b
      |\b(you\ are\ now|pretend\ (to\ be|you\ are)|act\ as\ (a|an|my)|role-?play|jailbreak|developer\ mode)\b
      |\b(system\ prompt|your\ (instructions|prompt|rules))\b
      |^\s*(please\s+)?(write|compose|create|generate|draft|tell|sing)\b.{0,30}
         \b(poem|story|song|joke|essay|limerick|haiku|code|program|script|email|letter|rap|tweet)s?\b
      |\btranslate\b.{0,60}\b(into|to)\s+[a-z]+\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

# Generate: how a small model phrases "the sources don't say" when it does not use the exact sentence.
_MODEL_REFUSAL = re.compile(
    r"can(no|')t answer|unable to answer|(sources?|documents?|context|text|information) (provided )?"
    r"(do|does)(n't| not) (contain|mention|provide|say|include|specify|state|address|discuss|give)"
    r"|(is|are) not (mentioned|provided|specified|stated|given|available) in|no information (about|on)",
    re.IGNORECASE,
)

# Check: questions whose answer is a quantity; an answer without any number does not answer them.
_ASKS_QUANTITY = re.compile(
    r"\b(how (much|many|long|often|old)|what (percentage|percent|proportion|share|dose|dosage|amount|age)"
    r"|cost|price|dose|dosage|milligrams?|mg)\b", re.IGNORECASE)
_TIME_QUANTITY = re.compile(r"\b(every|each|daily|weekly|monthly|hourly|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b", re.IGNORECASE)


def is_instruction(question: str) -> bool:
    return bool(_INSTRUCTION.search(question))


def retrieval_too_weak(retrieved: list[RetrievedChunk], refuse_below_cosine: float) -> bool:
    return not retrieved or max(r.dense_score for r in retrieved) < refuse_below_cosine


def model_refused(raw: str) -> bool:
    return not raw or REFUSAL.lower().rstrip(".") in raw.lower() or bool(_MODEL_REFUSAL.search(raw))


def lacks_asked_quantity(question: str, sentences: list[str]) -> bool:
    return bool(_ASKS_QUANTITY.search(question)) and not any(numbers_in(s) or _TIME_QUANTITY.search(s) for s in sentences)
