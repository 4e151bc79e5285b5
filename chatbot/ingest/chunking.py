"""Chunks: structure-aware passages with exact character spans into their document.

A document is read as a stream of headings and sentences. Sentences are packed into chunks of about
`target_chars`; a heading starts a new chunk unless the current one is still small (so a run of
one-sentence subsections like "1. Rest and Ice" stays together), page furniture always ends a chunk,
and a chunk that breaks inside a section repeats its last `overlap` sentences in the next one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import ChunkingSettings
from ..textutils import split_sentences
from .documents import Document

_NUMBERED = re.compile(r"^\d+[.)]\s")


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # "<doc_id>:<start>-<end>": stable while the document is unchanged
    doc_id: str
    title: str
    section: str
    start: int
    end: int
    text: str  # exactly document.text[start:end]

    def embedding_text(self) -> str:
        """What is embedded and keyword-indexed: the passage with where it stands in its document."""
        return f"{self.title}. {self.section}.\n{self.text}"


@dataclass(frozen=True)
class _Unit:
    kind: str  # "heading" or "sentence"
    start: int
    end: int
    section: str


def chunk_document(doc: Document, settings: ChunkingSettings) -> list[Chunk]:
    chunks: list[Chunk] = []
    for run in _runs(doc):
        chunks.extend(_pack(doc, run, settings.target_chars, settings.overlap_sentences))
    return chunks


def _runs(doc: Document) -> list[list[_Unit]]:
    """Headings and sentences in order, split into runs wherever furniture stands between them."""
    runs: list[list[_Unit]] = [[]]
    section, parent = "", ""
    for block in doc.blocks:
        if block.kind == "furniture":
            runs.append([])
            continue
        if block.kind == "heading":
            heading = doc.heading_text(block)
            if heading == doc.title and not section:
                continue  # the title line is not a section of its own
            if _NUMBERED.match(heading) and parent:
                section = f"{parent} › {heading}"
            else:
                parent = section = heading
            runs[-1].append(_Unit("heading", block.start, block.end, section))
        else:
            for s, e in split_sentences(doc.text, block.start, block.end):
                for piece_start, piece_end in _pieces(doc.text, s, e, _MAX_UNIT_CHARS):
                    runs[-1].append(_Unit("sentence", piece_start, piece_end, section))
    return [run for run in runs if any(u.kind == "sentence" for u in run)]


# A "sentence" longer than this (a line without full stops, a table row) is cut at spaces, so that no
# chunk outgrows the embedder's window or its share of the model's context.
_MAX_UNIT_CHARS = 1000


def _pieces(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Spans of at most `limit` characters covering text[start:end], cut at whitespace where there is any."""
    spans = []
    while end - start > limit:
        cut = text.rfind(" ", start + 1, start + limit)
        cut = cut if cut > start else start + limit
        spans.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        spans.append((start, end))
    return spans


def _pack(doc: Document, run: list[_Unit], target: int, overlap: int) -> list[Chunk]:
    chunks, current = [], []
    for unit in run:
        if current:
            new_section = unit.kind == "heading" and current[-1].end - current[0].start >= target // 2
            if new_section or unit.end - current[0].start > target:
                body = current
                while body[-1].kind == "heading":  # a heading goes with the text under it
                    body = body[:-1]
                chunks.append(body)
                current = current[len(body):]
                if not current and overlap and not new_section:
                    current = [u for u in body if u.kind == "sentence"][-overlap:]
                    if unit.end - current[0].start > target:
                        current = []  # the overlap alone would overflow the chunk
        current.append(unit)
    chunks.append(current)
    return [_make_chunk(doc, units) for units in chunks if any(u.kind == "sentence" for u in units)]


def _make_chunk(doc: Document, units: list[_Unit]) -> Chunk:
    start, end = units[0].start, units[-1].end
    first_sentence = next(u for u in units if u.kind == "sentence")
    section = units[0].section if units[0].kind == "heading" else first_sentence.section
    return Chunk(f"{doc.doc_id}:{start}-{end}", doc.doc_id, doc.title, section or doc.title, start, end, doc.text[start:end])
