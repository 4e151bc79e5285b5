"""The meaning check: does an answer sentence answer *this* question, correctly, by its sources?

The words-and-MiniLM judge (check.py) finds the source a sentence comes from, but it cannot read: a
sentence built from the source's own words passes it whether or not it answers the question ("ACL tears
often need surgery" to "How long is the recovery?"), and a good paraphrase fails it. The model can read.
After the answer is written, each sentence that found its source is put back to the model as a proposed
answer, in place of the answer instruction: the system prompt, sources and question are the same text
as the answer's prompt, so llama.cpp evaluates only the new line (about 0.3 s a sentence). The sentence
is kept when P("yes") reaches `AnswerSettings.meaning_min_yes` (chosen by measurement: docs/decisions/0017-meaning-check.md).

Asked with its own answer as the model's earlier reply, the model said yes to nearly everything (P(yes)
0.87-0.96 for right and wrong answers alike); asked about a "proposed answer", it tells them apart.
"""
from __future__ import annotations

from ..engines import Generator

MEANING_QUESTION = "Is the proposed answer correct according to the sources? Reply with yes or no."


def meaning_messages(answer_messages: list[dict], sentence: str, ask: str = MEANING_QUESTION) -> list[dict]:
    """The answer prompt with its last instruction swapped for a question (`ask`) about this sentence."""
    *head, user = answer_messages
    body = user["content"].rsplit("\n", 1)[0]
    return [*head, {"role": "user", "content": f'{body}\nProposed answer: "{sentence}"\n{ask}'}]


def meaning_probability(generator: Generator, answer_messages: list[dict], sentence: str) -> float:
    """P(the model says the sentence answers the question correctly by the sources)."""
    return generator.yes_probability(meaning_messages(answer_messages, sentence))
