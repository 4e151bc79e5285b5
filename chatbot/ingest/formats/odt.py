"""OpenDocument text (.odt: LibreOffice, OpenOffice, Google Docs' download): headings, paragraphs, list items and
tables in order, text boxes where they are anchored, footnotes and endnotes at the end ("Note 1: …"), as Word files
are read (docx.py). Text is read as the document shows it: tracked deletions (kept apart in the file) and comments
are left out, spaces written as `<text:s c="3"/>` and line breaks kept."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ...errors import ChatbotError
from .base import Converted, TextBuilder, inside, table_rows

SUFFIXES = (".odt",)

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
# Kept in the file but not shown as text: deleted text of tracked changes, comments, the note bodies (read at the end).
_NOT_SHOWN = {f"{_TEXT}tracked-changes", f"{_OFFICE}annotation", f"{_TEXT}note", f"{_TEXT}notes"}


def convert(path: Path, data: bytes) -> Converted:
    from lxml import etree

    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        with package:
            names = package.namelist()
            manifest = package.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
            if b"encryption-data" in manifest:
                raise ChatbotError(f"{path.name} is password-protected, so its text cannot be read; save a copy "
                                   f"without the password.")
            content = etree.fromstring(package.read("content.xml"))
            meta = etree.fromstring(package.read("meta.xml")) if "meta.xml" in names else None
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
        raise ChatbotError(f"{path.name} is damaged or not an OpenDocument text file; save it again from its "
                           f"program, or as PDF.") from None
    body = content.find(f"{_OFFICE}body/{_OFFICE}text")
    builder = TextBuilder()
    for element in body.iter(f"{_TEXT}h", f"{_TEXT}p", f"{_TABLE}table") if body is not None else ():
        if inside(element, _NOT_SHOWN | {f"{_TABLE}table-cell"}):
            continue  # a table's paragraphs are read with its rows
        if element.tag == f"{_TABLE}table":
            rows = [["\n".join(_shown_text(p) for p in cell.iter(f"{_TEXT}p", f"{_TEXT}h") if not inside(p, _NOT_SHOWN, stop=cell))
                     for cell in row.iter(f"{_TABLE}table-cell")] for row in element.iter(f"{_TABLE}table-row")]
            for row in table_rows(rows):
                builder.add("table", row)
        elif element.tag == f"{_TEXT}h":
            builder.add("heading", _shown_text(element))
        else:
            kind = "list" if inside(element, {f"{_TEXT}list-item"}) else "text"
            builder.add(kind, _shown_text(element), lines=True)
    for number, note in enumerate(_notes(body), 1):
        builder.add("text", f"Note {number}: {note}")
    title = next((t.text for t in meta.iter(f"{_DC}title") if t.text and t.text.strip()), "") if meta is not None else ""
    return builder.result(title or "")


def _shown_text(element) -> str:
    """The element's text as shown: `<text:s c="n">` as n spaces, tabs and line breaks kept, notes and comments and
    text boxes' own paragraphs (read as paragraphs of their own) left out."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{_TEXT}s":
            parts.append(" " * int(child.get(f"{_TEXT}c", "1")))
        elif child.tag == f"{_TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{_TEXT}line-break":
            parts.append("\n")
        elif child.tag not in _NOT_SHOWN and not any(True for _ in child.iter(f"{_TEXT}p", f"{_TEXT}h")):
            parts.append(_shown_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _notes(body) -> list[str]:
    if body is None:
        return []
    return [text for note in body.iter(f"{_TEXT}note") if not inside(note, _NOT_SHOWN)
            for text in [" ".join(_shown_text(p) for p in note.iter(f"{_TEXT}p")).strip()] if text]
