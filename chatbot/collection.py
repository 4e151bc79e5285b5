"""What a collection says about itself, so no domain wording lives in code.

`collection.toml` in the corpus folder (all keys optional):
    name = "Knee & back pain: ask the articles"
    description = "Five web articles on how knee pain and back pain are linked."
    examples = ["Can knee pain change the way I walk?", ...]
    disclaimer = "General information, not medical advice."
    placeholder = "Ask about knee and back pain…"
A folder without it gets the generic wording below.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path

from .errors import ChatbotError

PROFILE_FILE = "collection.toml"


@dataclass(frozen=True)
class CollectionProfile:
    name: str = "Ask your documents"
    description: str = ""
    examples: tuple[str, ...] = ()
    disclaimer: str = "Answers come only from the documents in this collection, each with its sources."
    placeholder: str = "Ask a question about the documents…"
    tags: dict = field(default_factory=dict)  # file pattern -> tags ([tags] table: "reports/*.pdf" = ["finance"])


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str  # the file name
    title: str
    furniture_blocks: int = 0  # lines left out as page furniture (the app can show them)
    furniture_chars: int = 0
    passages: int = 0
    pages: int = 0  # 0 where the format has no pages
    tags: tuple[str, ...] = ()
    indexed_at: str = ""
    status: str = "indexed"  # "indexed", "skipped" (see reason) or "not indexed yet" (added since the last build)
    reason: str = ""

    def to_json(self) -> dict:
        return {"doc": self.doc_id, "title": self.title, "status": self.status, "reason": self.reason,
                "passages": self.passages, "pages": self.pages, "tags": list(self.tags), "indexed_at": self.indexed_at,
                "furniture_lines": self.furniture_blocks}


@dataclass(frozen=True)
class CollectionInfo:
    """The collection as the app shows it: its profile and what the index holds."""
    profile: CollectionProfile
    documents: list[DocumentInfo] = field(default_factory=list)
    n_passages: int = 0
    indexed_at: datetime | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # files not indexed -> why, and the fix


def load_profile(corpus_dir: Path) -> CollectionProfile:
    path = corpus_dir / PROFILE_FILE
    if not path.is_file():
        return CollectionProfile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ChatbotError(f"{path} could not be read ({exc}); fix it or delete it to use the generic wording.") from None
    known = {f.name for f in fields(CollectionProfile)}
    values = {}
    for key, value in data.items():
        if key not in known:
            raise ChatbotError(f"{path} has an unknown key {key!r}; the keys are: {', '.join(sorted(known))}.")
        if key == "tags":
            if not (isinstance(value, dict) and all(isinstance(v, list) and all(isinstance(t, str) for t in v) for v in value.values())):
                raise ChatbotError(f'{path}: [tags] must map file patterns to lists of tags, e.g. "*.pdf" = ["reports"]; fix it.')
            values[key] = {pattern: tuple(t.strip() for t in tags if t.strip()) for pattern, tags in value.items()}
            continue
        if key == "examples":
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ChatbotError(f"{path}: 'examples' must be a list of questions in quotes; fix it.")
            value = tuple(v.strip() for v in value if v.strip())
        elif not isinstance(value, str):
            raise ChatbotError(f"{path}: {key!r} must be text in quotes; fix it.")
        values[key] = value.strip() if isinstance(value, str) else value
    return CollectionProfile(**{k: v for k, v in values.items() if v not in ("", {})})
