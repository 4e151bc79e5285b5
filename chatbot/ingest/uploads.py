"""Uploads: files a person adds, each checked like any document and saved under a name no document has."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ChatbotError
from .documents import load_document, safe_file_name, save_document, too_large


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


def replace_document(path: Path, data: bytes, max_bytes: int) -> None:
    """A new version of the document at `path`, checked like any upload first (a file that cannot be read leaves the
    old version in place), then swapped in atomically."""
    if len(data) > max_bytes:
        raise ChatbotError(f"The new version of {path.name} {too_large(len(data), max_bytes)}.")
    tmp = path.with_name(f".replace-{path.name}")  # hidden: never indexed half-written
    tmp.write_bytes(data)
    try:
        load_document(tmp)
    except ChatbotError as exc:
        tmp.unlink(missing_ok=True)
        raise ChatbotError(str(exc).replace(tmp.name, path.name)) from None
    tmp.replace(path)
