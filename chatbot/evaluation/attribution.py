"""The evaluation's citation scorer: does a cited passage state the sentence that cites it?

It must not be the engine's own support judge (words + MiniLM, answer/check.py): the engine drops or re-cites
every sentence that judge rejects, so scoring the final answers with it gives 1.0 by construction. Here the
language model reads the passage and the claim alone (no question, no other source) and says whether the passage
states it, as ALCE scores citations with an NLI model (none ships in a package here). Its P(yes) at 0.5 decides.
"""
from __future__ import annotations

import threading

from ..engines import Generator

ATTRIBUTION_SYSTEM = "You check claims against a passage. Answer only from the passage."
ATTRIBUTION_QUESTION = "Does the passage state the claim (in these or other words)? Reply with yes or no."
DESCRIPTION = ("the language model asked, with only the passage and the sentence before it, whether the passage "
               "states the sentence (P(yes) >= 0.5); not the engine's support judge")


def attribution_messages(claim: str, passage: str) -> list[dict]:
    return [{"role": "system", "content": ATTRIBUTION_SYSTEM},
            {"role": "user", "content": f"Passage:\n{passage.strip()}\n\nClaim: {claim.strip()}\n{ATTRIBUTION_QUESTION}"}]


class ModelAttribution:
    def __init__(self, generator: Generator, threshold: float = 0.5):
        self.generator, self.threshold = generator, threshold
        self._seen: dict[tuple[str, str], bool] = {}  # raw and final answers share most sentences
        self._lock = threading.Lock()

    def supports(self, claim: str, passage: str) -> bool:
        key = (claim, passage)
        with self._lock:
            if key in self._seen:
                return self._seen[key]
        verdict = self.generator.yes_probability(attribution_messages(claim, passage)) >= self.threshold
        with self._lock:
            self._seen[key] = verdict
        return verdict
