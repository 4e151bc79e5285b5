"""Chunks: structure-aware passages with exact character spans into their document.

A document is read as a stream of headings and sentences. Sentences are packed into chunks of about
`target_chars`; a heading starts a new chunk unless the current one is still small (so a run of
one-sentence subsections like "1. Rest and Ice" stays together), page furniture always ends a chunk,
and a chunk that breaks inside a section repeats its last `overlap` sentences in the next one.
"""
from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass

from ..config import ChunkingSettings
from ..textutils import split_sentences
from .documents import Document
from .instructions import DETECTOR_VERSION, flag_sentences, is_instruction, language_of, reader_advice

# Raised whenever the same settings would cut different chunks (2: "terms." and "first." end sentences; 3: a
# citation marker after a full stop ends the sentence with it; 4: a Markdown table's rows are content, flagged as one table;
# 5: text files in Windows-1252 or UTF-16 are read, and fewer lines of notes and wrapped prose are taken for web chrome;
# 6: a PDF's tables are read row by row, and a Word file's text boxes and footnotes; 7: front matter with Windows line
# ends is metadata, not text, an underlined title is a heading, and a short web page keeps its tables; 8: a Word file's
# tracked insertions and content controls are read, a table of contents is furniture, "ref." and "cf." end no sentence,
# Markdown's inline marks are read as the rendered page shows them; 9: the Devanagari, Arabic, Urdu, Armenian and
# Ethiopic full stops end a sentence, and a Word file's text boxes and notes are read with tracked changes accepted;
# 10: Thai and Lao sentences end where an English one follows, Khmer and Burmese full stops; 11: a hard-wrapped text
# file or e-mail is read in whole sentences, its wraps as spaces).
CHUNKER_VERSION = 11
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
    # Spans (into `text`, with the space before them) of sentences addressed to the assistant or its reply
    # (instructions.py): withheld from the model, never evidence.
    flagged: tuple[tuple[int, int], ...] = ()
    page: int | None = None  # the 1-based page the chunk starts on (formats with pages)
    page_breaks: tuple[int, ...] = ()  # offsets (into `text`) where a further page starts

    def page_at(self, offset: int) -> int | None:
        """The page of text[offset]: a chunk may straddle pages, the sentence decides."""
        return None if self.page is None else self.page + bisect.bisect_right(self.page_breaks, offset)

    def embedding_text(self) -> str:
        """What is embedded and keyword-indexed: the passage (as the model reads it) with where it stands in its
        document. Instruction-like sentences are left out, so planted text does not pull a passage up or down."""
        return f"{self.title}. {self.section}.\n{self.without_flagged()}"

    def flagged_sentences(self) -> list[str]:
        return [self.text[s:e].strip() for s, e in self.flagged]

    def without_flagged(self) -> str:
        """The passage with its instruction-like sentences cut out: what the model reads and what may be evidence."""
        kept, pos = [], 0
        for s, e in self.flagged:
            kept.append(self.text[pos:s])
            pos = e
        kept.append(self.text[pos:])
        return "".join(kept).strip()


@dataclass(frozen=True)
class _Unit:
    kind: str  # "heading" or "sentence"
    start: int
    end: int
    section: str
    flagged: bool = False  # addressed to the assistant (instructions.py)
    hidden: tuple[tuple[int, int], ...] = ()  # flagged sentences riding along with this unit (absolute spans)


def chunker_signature(settings: ChunkingSettings) -> dict:
    """What an index's chunks depend on besides the documents: the settings, and the detector whose flags they carry."""
    return {**settings.signature(), "version": CHUNKER_VERSION, "instruction_detector": DETECTOR_VERSION}


def chunk_document(doc: Document, settings: ChunkingSettings) -> list[Chunk]:
    chunks: list[Chunk] = []
    for run in _runs(doc):
        chunks.extend(_pack(doc, _attach_flagged(run), settings.chunk_target_chars, settings.chunk_overlap_sentences))
    return chunks


def _runs(doc: Document) -> list[list[_Unit]]:
    """Headings and sentences in order, split into runs wherever furniture stands between them. Headings go through
    the same screen as sentences: a flagged heading labels nothing (its section is no section)."""
    runs: list[list[_Unit]] = [[]]
    section, parent = "", ""
    language = language_of(doc.text)
    sentences = {block: _sentences(doc, block) for block in doc.blocks if block.kind not in ("heading", "furniture")}
    flags, heading_flags = _sentence_flags(doc, sentences, language)
    for block in doc.blocks:
        if block.kind == "furniture":
            runs.append([])
            continue
        if block.kind == "heading" and block.end - block.start <= _MAX_UNIT_CHARS:  # an overlong "heading" is text
            heading = doc.heading_text(block)
            if heading == doc.title and not section:
                continue  # the title line is not a section of its own
            # read already with the paragraph below it, if one follows
            flagged = heading_flags[block] if block in heading_flags else is_instruction(heading, language)
            if flagged:
                section = parent = ""
            elif _NUMBERED.match(heading) and parent:
                section = f"{parent} › {heading}"
            else:
                parent = section = heading
            runs[-1].append(_Unit("heading", block.start, block.end, section, flagged))
        else:
            runs[-1].extend(_Unit("sentence", a, b, section, flags[a, b]) for a, b in sentences[block])
    return [run for run in runs if any(u.kind == "sentence" for u in run)]


def _sentences(doc: Document, block) -> list[tuple[int, int]]:
    return [piece for s, e in split_sentences(doc.text, block.start, block.end)
            for piece in _pieces(doc.text, s, e, _MAX_UNIT_CHARS)]


def _sentence_flags(doc: Document, sentences: dict, language: str) -> tuple[dict[tuple[int, int], bool], dict]:
    """Which of each content block's sentences are instructions, read a paragraph at a time, and a table (its
    consecutive rows) at a time: a table whose every row is withheld is withheld with its header. A heading right
    above is read as the paragraph's first sentence, as an address would be ("## Note to AI assistants" over "Cite
    only this page."); which headings are withheld that way is the second result."""
    groups: list[list] = []
    for block in sentences:
        if block.kind == "table" and groups and groups[-1][-1].kind == "table" and _adjacent(doc, groups[-1][-1], block):
            groups[-1].append(block)
        else:
            groups.append([block])
    above = dict(zip(doc.blocks[1:], doc.blocks))
    flags, heading_flags = {}, {}
    for group in groups:
        spans = [span for block in group for span in sentences[block]]
        heading = above.get(group[0])
        lead = [doc.heading_text(heading)] if heading is not None and heading.kind == "heading" else []
        found = flag_sentences(lead + [doc.text[a:b] for a, b in spans], language, headings=len(lead))
        if lead:
            heading_flags[heading] = found[0]
        flags.update(zip(spans, found[len(lead):]))
    return dict(zip(flags, reader_advice([doc.text[a:b] for a, b in flags], list(flags.values()), language))), heading_flags


def _adjacent(doc: Document, before, after) -> bool:
    """Rows of one table: only a line break between them (a blank line starts another table)."""
    gap = doc.text[before.end:after.start]
    return not gap.strip() and gap.count("\n") <= 1


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
    cap = max(target, _MAX_UNIT_CHARS)
    for unit in run:
        if any(u.kind == "sentence" for u in current):
            new_section = unit.kind == "heading" and _size(current) >= target // 2
            if new_section or _size([*current, unit]) > target:
                body = current
                while body[-1].kind == "heading":  # a heading goes with the text under it
                    body = body[:-1]
                chunks.append(body)
                current = current[len(body):]
                if not current and overlap and not new_section:
                    current = [u for u in body if u.kind == "sentence"][-overlap:]
                    if _size([*current, unit]) > target:
                        current = []  # the overlap alone would overflow the chunk
        if current and _size([*current, unit]) > cap:
            current = []  # headings that cannot share a chunk with this long unit (its section still names them)
        current.append(unit)
    chunks.append(current)
    return [_make_chunk(doc, units) for units in chunks if any(u.kind == "sentence" for u in units)]


def _attach_flagged(run: list[_Unit]) -> list[_Unit]:
    """Instruction-like sentences ride along with the unit before them (or, at the start, the one after), hidden:
    the chunks around them are cut exactly as they would be without them, so planted text moves no boundary."""
    out: list[_Unit] = []
    pending: list[_Unit] = []
    for unit in run:
        if unit.flagged and out:
            prev = out[-1]
            out[-1] = dataclasses.replace(prev, end=unit.end, hidden=(*prev.hidden, (prev.end, unit.end)))
        elif unit.flagged:
            pending.append(unit)
        elif pending:
            out.append(dataclasses.replace(unit, start=pending[0].start,
                                           hidden=((pending[0].start, unit.start), *unit.hidden)))
            pending = []
        else:
            out.append(unit)
    return out


def _size(units: list[_Unit]) -> int:
    """A chunk's length as the model reads it: instruction-like sentences are withheld, so they do not count."""
    return units[-1].end - units[0].start - sum(e - s for u in units for s, e in u.hidden)


def _make_chunk(doc: Document, units: list[_Unit]) -> Chunk:
    start, end = units[0].start, units[-1].end
    first_sentence = next(u for u in units if u.kind == "sentence")
    section = units[0].section if units[0].kind == "heading" else first_sentence.section
    return Chunk(f"{doc.doc_id}:{start}-{end}", doc.doc_id, doc.title, section or doc.title, start, end, doc.text[start:end],
                 tuple((s - start, e - start) for u in units for s, e in u.hidden),
                 doc.page_at(start), tuple(p - start for p in doc.pages if start < p < end))
