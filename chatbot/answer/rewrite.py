"""Rewrite: a follow-up that leans on the conversation becomes a question that stands alone."""
from __future__ import annotations

import re

from ..config import REFUSAL
from ..engines import Generator

REWRITE_SYSTEM = """You rewrite the user's last question so that it can be understood without the conversation.
Replace words like "it", "they", "this" or "that" with what they refer to. Keep the meaning and the wording otherwise.
Reply with the rewritten question only."""

_ANAPHORA = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|there|same|such|more|else|other|also)\b", re.IGNORECASE)
MAX_REWRITE_TOKENS = 48


def needs_rewrite(question: str, history: list[dict]) -> bool:
    """A follow-up needs rewriting when it leans on the conversation: a pronoun, or too short to stand alone."""
    return bool(history) and (bool(_ANAPHORA.search(question)) or len(question.split()) < 6)


def rewrite(question: str, history: list[dict], generator: Generator) -> str:
    """The model's standalone version of a follow-up question."""
    output = "".join(generator.stream(rewrite_messages(question, history), max_tokens=MAX_REWRITE_TOKENS))
    return clean_rewrite(output, question, history)


def rewrite_messages(question: str, history: list[dict], max_turns: int = 6, max_chars: int = 400) -> list[dict]:
    turns = [f"{t['role'].capitalize()}: {t['content'][:max_chars]}" for t in history[-max_turns:]]
    user = "Conversation:\n" + "\n".join(turns) + f"\n\nLast question: {question}\n\nRewritten question:"
    return [{"role": "system", "content": REWRITE_SYSTEM}, {"role": "user", "content": user}]


def clean_rewrite(output: str, question: str, history: list[dict]) -> str:
    """The model's rewrite if it looks like one question; else the last user turn plus the question."""
    text = output.strip().splitlines()[0].strip().strip('"').strip() if output.strip() else ""
    if 3 <= len(text.split()) <= 40 and REFUSAL not in text:
        return text
    last_user = next((t["content"] for t in reversed(history) if t["role"] == "user"), "")
    return f"{last_user} {question}".strip()
