"""Test helpers: paths, a copy of the bundled collection, and the one stand-in for the language model."""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent.parent
SCIATIC_DOC = "001_5504509c8ebd97f0.txt"


def copy_corpus(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for f in (PROJECT / "corpus").iterdir():
        shutil.copy(f, target / f.name)
    return target


class ScriptedGenerator:
    """A stand-in for the language model where the model is not the point: it 'writes' a fixed text.

    Used only by fast tests of the answering flow's own logic (refusal stages, re-citation, rendering);
    everything the model itself does is tested with the real model in the slow tier.
    """

    name = "scripted"
    busy = False

    def __init__(self, text: str, yes: float = 0.95, meaning: dict[str, float] | None = None):
        self.text, self.yes, self.prompts, self.verify_prompts = text, yes, [], []
        self.meaning = meaning or {}  # P(yes) of the meaning check for a given sentence (default: `yes`)

    def stream(self, messages, max_tokens):
        self.prompts.append(messages)
        if isinstance(self.text, list):  # the pieces exactly as given
            yield from self.text
        else:
            yield from (self.text[i:i + 7] for i in range(0, len(self.text), 7))

    def count_tokens(self, text):
        return len("".join(text).split())

    def turn(self):
        return contextlib.nullcontext()

    def yes_probability(self, messages):
        self.verify_prompts.append(messages)
        asked = messages[-1]["content"]
        return next((p for sentence, p in self.meaning.items() if f'Proposed answer: "{sentence}"' in asked), self.yes)


class RememberingEmbedder:
    """The real embedder, each text's vector computed once per test session: the index tests rebuild the same
    collection many times, and embedding it again would only repeat the same arithmetic."""

    def __init__(self, embedder):
        self.inner, self.name, self.dimension = embedder, embedder.name, embedder.dimension
        self._known: dict[str, object] = {}

    def embed(self, texts: list[str], progress: bool = False):
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        if missing:
            self._known.update(zip(missing, self.inner.embed(missing)))
        return np.stack([self._known[t] for t in texts]) if texts else self.inner.embed([])
