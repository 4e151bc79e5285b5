"""Uploads: files a person adds, each checked like any document and saved under a name no document has."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ChatbotError
from .documents import safe_file_name, save_document


@dataclass(frozen=True)
class SavedUploads:
    added: list[str] = field(default_factory=list)  # saved under these names
    errors: list[str] = field(default_factory=list)  # one sentence per file that was not saved
    renamed: dict[str, str] = field(default_factory=dict)  # upload name -> saved name, where a document had the name


def save_uploads(corpus_dir: Path, files: list[tuple[str, bytes]], max_bytes: int, say: Callable[[str], None]) -> SavedUploads:
    """Check and save each (file name, content); one bad file never stops the others."""
    saved = SavedUploads()
    for i, (name, data) in enumerate(files, 1):
        say(f"Reading {name} ({i} of {len(files)})…")
        try:
            stored = save_document(corpus_dir, name, data, max_bytes).name
        except ChatbotError as exc:
            saved.errors.append(str(exc))
            continue
        saved.added.append(stored)
        if stored != safe_file_name(name):
            saved.renamed[name] = stored
    return saved
