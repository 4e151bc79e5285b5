"""Word documents (.docx, python-docx): paragraphs in order, headings from their styles, list items,
tables row by row (base.table_rows), the text of text boxes after the paragraph that holds them, and footnotes and
endnotes at the end ("Note 1: …"): python-docx reads none of those three, and each can hold a document's facts."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ...errors import ChatbotError
from .base import Converted, TextBuilder, table_rows

SUFFIXES = (".docx",)

_HEADING_STYLE = re.compile(r"^(title|subtitle|heading \d)$", re.IGNORECASE)


def convert(path: Path, data: bytes) -> Converted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ChatbotError(f"{path.name} is damaged or not a Word .docx file ({exc}); save it again from Word, "
                           f"or as PDF.") from None
    builder = TextBuilder()
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            _add_table(builder, item)
        else:
            style = (item.style.name if item.style is not None else "") or ""
            kind = "heading" if _HEADING_STYLE.match(style) else "list" if style.lower().startswith("list") else "text"
            builder.add(kind, item.text, lines=True)  # a line break (Shift+Enter) stays one
            for box in _text_boxes(item._p):
                builder.add("text", box, lines=True)
    for number, note in _notes(data):
        builder.add("text", f"Note {number}: {note}")
    return builder.result(document.core_properties.title or "")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _text_boxes(paragraph) -> list[str]:
    """The paragraphs of the text boxes anchored in a paragraph (the Fallback copy Word writes for old readers left
    out: it is the same text again)."""
    out = []
    for box in paragraph.iter(f"{_W}txbxContent"):
        if any(a.tag == _FALLBACK for a in box.iterancestors()):
            continue
        out += [text for p in box.iter(f"{_W}p") if (text := "".join(t.text or "" for t in p.iter(f"{_W}t")).strip())]
    return out


def _notes(data: bytes) -> list[tuple[int, str]]:
    """Footnotes, then endnotes, numbered in order, from the package's own parts (python-docx does not read them)."""
    from lxml import etree

    notes = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for part, tag in (("word/footnotes.xml", "footnote"), ("word/endnotes.xml", "endnote")):
            if part not in package.namelist():
                continue
            root = etree.fromstring(package.read(part))
            for note in root.iter(f"{_W}{tag}"):
                if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
                    continue
                text = " ".join("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in note.iter(f"{_W}p")).strip()
                if text:
                    notes.append((len(notes) + 1, text))
    return notes


def _add_table(builder: TextBuilder, table) -> None:
    for row in table_rows([[cell.text for cell in row.cells] for row in table.rows]):
        builder.add("table", row)
