"""What every converter hands on: the document's text, its structure as spans of that text, its pages."""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ChatbotError

# Block kinds: "heading", "furniture" (never indexed), and content: "text", "list" (an item), "table" (a row).
CONTENT_KINDS = ("text", "list", "table")
# The line under a Markdown table's header ("|---|:--:|", "---|---"): the mark of a table, not of a navigation bar.
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|\s*(:?-{3,}:?\s*)?$")
# A web address written out; a URL's path is neither prose nor an encoding.
WEB_ADDRESS = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# A line of a table of contents: an entry, leader dots, a page number ("2 Setting the pressure ........ 12"). It
# points to where a section is; read as text it only echoes headings, and a passage of them crowds out the sections.
# Only three or more in a row whose numbers never go down: a price list with leader dots ("Soup ...... 6") stays.
_CONTENTS_LINE = re.compile(r"^\s*\S.*?(\.{4,}|(\.\s){3,}\.?|…{2,}|·{3,})\s*\|?\s*(?P<page>\d{1,4}|[ivxlc]{1,6})\s*$",
                            re.IGNORECASE)
_MIN_CONTENTS_LINES = 3


@dataclass(frozen=True)
class Block:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Converted:
    text: str
    blocks: tuple[Block, ...]
    title: str = ""  # from the file's own metadata, when it has one
    pages: tuple[int, ...] = ()  # where each page starts in `text` (formats with pages only)
    body_start: int = 0  # where the content starts (after front matter)
    tags: tuple[str, ...] = ()  # from the file's own metadata (front matter `tags: a, b`)


@dataclass
class TextBuilder:
    """Builds a converted document's text block by block: blocks are separated by a blank line and each one's
    span is recorded as it is written, so the text, its structure and its pages cannot disagree."""
    parts: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)  # pages[i]: where page i + 1 starts
    length: int = 0

    def add(self, kind: str, text: str, page: int | None = None, *, lines: bool = False) -> None:
        """One block; with `lines`, the text's line breaks are kept (each line cleaned on its own)."""
        text = "\n".join(filter(None, map(clean_inline, text.split("\n")))) if lines else clean_inline(text)
        if not text:
            return
        if self.parts:
            self._append("\n\n")
        self._reach_page(page)
        self.blocks.append(Block(kind, self.length, self.length + len(text)))
        self._append(text)

    def extend_last(self, text: str, page: int | None = None) -> None:
        """More of the last block: a paragraph's next line, or its run into the next column or page."""
        text = clean_inline(text)
        if not text:
            return
        if not self.blocks:
            return self.add("text", text, page)
        self._append(" ")
        self._reach_page(page)
        self._append(text)
        last = self.blocks[-1]
        self.blocks[-1] = Block(last.kind, last.start, self.length)

    def result(self, title: str = "", n_pages: int = 0) -> Converted:
        self._reach_page(n_pages)  # trailing empty pages start where the text ends
        text = "".join(self.parts)
        return Converted(text, contents_as_furniture(text, self.blocks), clean_inline(title), tuple(self.pages))

    def _reach_page(self, page: int | None) -> None:
        while page is not None and len(self.pages) < page:
            self.pages.append(self.length)

    def _append(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)


def table_rows(rows: list[list[str]], has_header: bool | None = None) -> list[str]:
    """A table as one line per row; when the first row is a header, every row carries it ("Month: April | Task: ..."),
    so a row read alone (a chunk, a citation) still says what its cells are. Unless told (`has_header`), a first
    row with every cell filled is taken for the header, as in HTML and Word tables."""
    rows = [[" ".join(c.split()) for c in row] for row in rows if any(c.strip() for c in row)]
    header = rows[0] if len(rows) > 1 and all(rows[0]) and has_header is not False else None
    body = rows[1:] if header else rows
    return [" | ".join(f"{h}: {c}" if header else c for h, c in zip(header or row, row) if c) for row in body]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff\u00ad]")
_SPACES = re.compile(r"\s+")


# A password-protected Office file (.docx, .pptx, .xlsx) is an OLE container, as the old .doc, .ppt and .xls files are.
_OLE_FILE = b"\xd0\xcf\x11\xe0"


def open_office_file(path: Path, data: bytes, open_file: Callable, errors: tuple, what: str, program: str,
                     instead: str = "PDF"):
    """An Office Open XML file opened by its library (`open_file` on a binary stream), or one sentence saying why not:
    locked or in the old binary format, or damaged. `what` names the format ("a Word .docx file")."""
    if data.startswith(_OLE_FILE):
        raise ChatbotError(f"{path.name} is password-protected or an old {program} file, so it cannot be read; save a "
                           f"copy without the password as {path.suffix}, or as {instead}.")
    try:
        return open_file(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, *errors) as exc:
        raise ChatbotError(f"{path.name} is damaged or not {what} ({exc}); save it again from {program}, or as "
                           f"{instead}.") from None


def inside(element, tags, stop=None) -> bool:
    """Whether an lxml element lies inside one whose tag is in `tags`, looking up no further than `stop`."""
    for ancestor in element.iterancestors():
        if ancestor is stop:
            return False
        if ancestor.tag in tags:
            return True
    return False


def clean_inline(text: str) -> str:
    """One paragraph on one line: control characters and soft hyphens gone, runs of whitespace one space."""
    return _SPACES.sub(" ", _CONTROL.sub("", text)).strip()


def contents_as_furniture(text: str, blocks: list[Block]) -> tuple[Block, ...]:
    """The blocks, with each run of table-of-contents lines (see _CONTENTS_LINE) made furniture."""
    out, run, pages = list(blocks), [], []

    def close() -> None:
        if len(pages) >= _MIN_CONTENTS_LINES and all(a <= b for a, b in zip(pages, pages[1:])):
            for i in run:
                out[i] = Block("furniture", out[i].start, out[i].end)
        run.clear()
        pages.clear()

    for i, block in enumerate(blocks):
        matches = [_CONTENTS_LINE.match(line) for line in text[block.start:block.end].split("\n")]
        if block.kind in CONTENT_KINDS and all(matches):
            run.append(i)
            pages.extend(int(m["page"]) if m["page"].isdigit() else 0 for m in matches)  # roman: the front matter
        else:
            close()
    close()
    return tuple(out)
