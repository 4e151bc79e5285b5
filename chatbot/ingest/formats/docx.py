"""Word documents (.docx, python-docx): paragraphs in order, headings from their styles, list items,
tables row by row (base.table_rows), the text of text boxes after the paragraph that holds them, and footnotes and
endnotes at the end ("Note 1: …"): python-docx reads none of those three, and each can hold a document's facts.
Text is read as Word shows it with tracked changes accepted, content controls included: python-docx reads only a
paragraph's own runs, so an insertion not yet accepted ("opens at 9:00") or a filled-in form field was lost."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from .base import Converted, TextBuilder, inside, open_office_file, table_rows

SUFFIXES = (".docx",)

_HEADING_STYLE = re.compile(r"^(title|subtitle|heading \d)$", re.IGNORECASE)


def convert(path: Path, data: bytes) -> Converted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = open_office_file(path, data, docx.Document, (PackageNotFoundError,), "a Word .docx file", "Word")
    builder = TextBuilder()
    for element in _blocks(document.element.body):
        if element.tag == f"{_W}tbl":
            _add_table(builder, Table(element, document))
        else:
            item = Paragraph(element, document)
            style = (item.style.name if item.style is not None else "") or ""
            kind = ("heading" if _HEADING_STYLE.match(style) else "list" if style.lower().startswith("list")
                    else "furniture" if style.lower().startswith("toc") else "text")  # Word's table of contents
            builder.add(kind, _shown_text(element), lines=True)  # a line break (Shift+Enter) stays one
            for box in _text_boxes(element):
                builder.add("text", box, lines=True)
    for number, note in _notes(data):
        builder.add("text", f"Note {number}: {note}")
    return builder.result(document.core_properties.title or "")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


# Text Word does not show with changes accepted: deletions, the old place of moved text, and what is read apart.
_HIDDEN = {f"{_W}del", f"{_W}moveFrom", f"{_W}txbxContent", _FALLBACK}
_CONTROL = f"{_W}sdt"


def _blocks(container):
    """Paragraphs and tables in order, also those inside block-level content controls (cover pages, form sections),
    which python-docx's iteration skips."""
    for child in container.iterchildren(f"{_W}p", f"{_W}tbl", _CONTROL):
        if child.tag == _CONTROL:
            for content in child.iterchildren(f"{_W}sdtContent"):
                yield from _blocks(content)
        else:
            yield child


def _shown_text(paragraph) -> str:
    """The paragraph's text as shown with tracked changes accepted: runs in insertions, hyperlinks and content
    controls included, tabs and line breaks kept."""
    parts = []
    for element in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if element.getparent().tag != f"{_W}r":  # a tab stop in the paragraph's properties, not text
            continue
        if inside(element, _HIDDEN, stop=paragraph):
            continue
        parts.append(element.text or "" if element.tag == f"{_W}t" else "\t" if element.tag == f"{_W}tab" else "\n")
    return "".join(parts)


def _text_boxes(paragraph) -> list[str]:
    """The paragraphs of the text boxes anchored in a paragraph, read as shown (the Fallback copy Word writes for old
    readers left out: it is the same text again)."""
    out = []
    for box in paragraph.iter(f"{_W}txbxContent"):
        if any(a.tag == _FALLBACK for a in box.iterancestors()):
            continue
        out += [text for p in box.iter(f"{_W}p") if (text := _shown_text(p).strip())]
    return out


def _notes(data: bytes) -> list[tuple[int, str]]:
    """Footnotes, then endnotes, numbered in order, from the package's own parts (python-docx does not read them),
    read as shown: tracked changes in a note are accepted as in the body."""
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
                text = " ".join(_shown_text(p) for p in note.iter(f"{_W}p")).strip()
                if text:
                    notes.append((len(notes) + 1, text))
    return notes


def _add_table(builder: TextBuilder, table) -> None:
    cells = [[_cell_text(cell._tc) for cell in row.cells] for row in table.rows]
    for row in table_rows(cells):
        builder.add("table", row)


def _cell_text(cell) -> str:
    return "\n".join(_shown_text(p) for p in _blocks(cell) if p.tag == f"{_W}p")
