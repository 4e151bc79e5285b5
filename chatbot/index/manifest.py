"""The manifest of a build: what the index depends on, and where each document's chunks are.

Checked field by field when read, so a damaged or hand-edited manifest is a clear message, not a
KeyError in the middle of a question.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from ..config import Settings
from ..ingest.chunking import chunker_signature

FORMAT_VERSION = 6


class ManifestFormatError(ValueError):
    """Written by another version of the index format: readable only after a rebuild."""


@dataclass(frozen=True)
class DocumentEntry:
    sha256: str  # of the file's bytes
    size: int  # with mtime_ns: a file whose size and time are unchanged is not read again
    mtime_ns: int
    title: str
    first_row: int  # the document's chunks are rows first_row .. first_row + n_chunks - 1
    n_chunks: int
    segment: str  # file name stem of its chunks, vectors and tokens under segments/
    keyword_shard: str  # the BM25 shard (folder under keyword/) that holds its chunks
    furniture_blocks: int  # lines of page furniture (navigation, credits, banners) left out of its passages
    furniture_chars: int
    tags: list  # its own tags (front matter, sidecar); collection.toml can add more by file pattern
    pages: int  # 0 where the format has no pages
    indexed_at: str  # when its passages were made (ISO, UTC)


@dataclass(frozen=True)
class SkippedEntry:
    """A file the build could not index; not tried again until its size or time changes."""
    size: int
    mtime_ns: int
    reason: str  # what is wrong with it, and the fix


@dataclass(frozen=True)
class Manifest:
    format: int
    built_at: str
    embedding_model: str
    embedder: str  # how the vectors were computed: "in process", or "server <model> at <url>" (same vectors, checked)
    embedding_dim: int
    chunker: dict
    n_chunks: int
    next_row: int  # rows are never reused: a changed document gets new ones
    dense_kind: str  # "flat" or "ivf"
    dense_trained_on: int  # chunks when the IVF clusters were trained (0 for flat)
    documents: dict[str, DocumentEntry]
    versions: dict
    skipped: dict[str, SkippedEntry]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """The manifest, or ValueError naming the first missing or wrong field."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("manifest.json is not a JSON object")
        if data.get("format") != FORMAT_VERSION:
            raise ManifestFormatError(f"index format {data.get('format')}, but this version reads format {FORMAT_VERSION}")
        values = _typed(data, cls, "manifest.json")
        documents = {}
        for doc_id, entry in values["documents"].items():
            if not isinstance(entry, dict):
                raise ValueError(f"manifest.json: document {doc_id!r} is not an object")
            documents[doc_id] = DocumentEntry(**_typed(entry, DocumentEntry, f"manifest.json document {doc_id!r}"))
        skipped = {}
        for name, entry in values["skipped"].items():
            if not isinstance(entry, dict):
                raise ValueError(f"manifest.json: skipped file {name!r} is not an object")
            skipped[name] = SkippedEntry(**_typed(entry, SkippedEntry, f"manifest.json skipped file {name!r}"))
        manifest = cls(**{**values, "documents": documents, "skipped": skipped})
        if sum(d.n_chunks for d in documents.values()) != manifest.n_chunks:
            raise ValueError("manifest.json: the documents' chunk counts do not add up to n_chunks")
        return manifest

    def mismatch(self, settings: Settings) -> str:
        """'' when the index fits the settings, else what differs, phrased for the user."""
        if self.embedding_model != settings.embedding_model:
            return f"embedding model {self.embedding_model!r}, but the settings ask for {settings.embedding_model!r}"
        wanted = chunker_signature(settings.chunking)
        if self.chunker != wanted:
            changes = ", ".join(f"{key.replace('_', ' ')} {self.chunker.get(key)} → {wanted.get(key)}"
                                for key in sorted(set(self.chunker) | set(wanted)) if self.chunker.get(key) != wanted.get(key))
            return f"other chunker settings ({changes})"
        return ""


def _typed(data: dict, cls, where: str) -> dict:
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            raise ValueError(f"{where} lacks the field {f.name!r}")
        kind = dict if str(f.type).startswith("dict") else {"int": int, "str": str, "list": list}[str(f.type)]
        value = data[f.name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{where}: {f.name!r} should be {kind.__name__}, not {type(value).__name__}")
        values[f.name] = value
    return values
