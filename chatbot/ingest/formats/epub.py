"""E-books (.epub): the chapters in reading order (the package's spine), each read for its headings, paragraphs,
list items and tables, with the book's title.

A chapter is read element by element rather than by a web page's main-content extraction: a book has no page
chrome to leave out, and that extraction drops short paragraphs (a line of verse, a line of dialogue) as noise.
The navigation document (the book's table of contents) is not content. A book locked by DRM cannot be read, and
says so.
"""
from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote

from ...errors import ChatbotError
from .base import Converted, TextBuilder, table_rows

SUFFIXES = (".epub",)

_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCK_TAGS = _HEADINGS | {"p", "li", "table", "pre", "blockquote", "div", "dd", "dt", "figcaption", "section",
                           "aside", "ul", "ol", "dl", "figure", "header", "footer", "article", "nav"}
_SKIPPED = {"script", "style", "nav", "head", "title"}
# Elements whose text is read whole, with what lies inside them (a list item's own text leaves its nested list out).
_READ_WITH = {"table", "li", "pre", "p"} | _HEADINGS | _SKIPPED


def convert(path: Path, data: bytes) -> Converted:
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ChatbotError(f"{path.name} is damaged or not an e-book (.epub is a zip archive); download or export "
                           f"it again.") from None
    with book:
        if "META-INF/encryption.xml" in book.namelist() and _encrypted_chapters(book):
            raise ChatbotError(f"{path.name} is locked by DRM, so its text cannot be read; use a DRM-free copy, or "
                               f"save it as PDF from the reading program if it allows.")
        title, chapters = _spine(path, book)
        builder = TextBuilder()
        for name in chapters:
            if name in book.namelist():
                _read_chapter(builder, book.read(name))
    return builder.result(title)


def _spine(path: Path, book: zipfile.ZipFile) -> tuple[str, list[str]]:
    """The book's title and its chapters' names in the archive, in reading order."""
    from lxml import etree

    try:
        container = etree.fromstring(book.read("META-INF/container.xml"))
        opf_name = container.find(f".//{_CONTAINER}rootfile").get("full-path")
        package = etree.fromstring(book.read(opf_name))
    except (KeyError, AttributeError, etree.XMLSyntaxError):
        raise ChatbotError(f"{path.name} has no readable e-book package (META-INF/container.xml or its .opf file is "
                           f"missing or damaged); download or export it again.") from None
    folder = posixpath.dirname(opf_name)
    items = {item.get("id"): item for item in package.iter(f"{_OPF}item")}
    chapters = []
    for ref in package.iter(f"{_OPF}itemref"):
        item = items.get(ref.get("idref"))
        if item is None or "nav" in (item.get("properties") or "").split():
            continue  # the table of contents points to chapters; it is not one
        if "html" in (item.get("media-type") or ""):
            chapters.append(posixpath.normpath(posixpath.join(folder, unquote(item.get("href") or ""))))
    title = next((t.text for t in package.iter(f"{_DC}title") if t.text and t.text.strip()), "") or ""
    return title, chapters


def _encrypted_chapters(book: zipfile.ZipFile) -> bool:
    """Font obfuscation is listed in encryption.xml too; only encrypted chapters make a book unreadable."""
    listed = book.read("META-INF/encryption.xml").decode("utf-8", errors="replace")
    return any(name.endswith((".html", ".xhtml", ".htm")) and name in listed for name in book.namelist())


def _read_chapter(builder: TextBuilder, data: bytes) -> None:
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(data)
    except (ValueError, etree.ParserError):
        return  # an empty or unparsable chapter: the others are still read
    body = root.find(".//body")
    for element in (body if body is not None else root).iter():
        tag = _tag(element)
        read_with = _READ_WITH - {"li"} if tag == "li" else _READ_WITH  # an item of a nested list is read on its own
        if tag in _SKIPPED or _inside(element, read_with):
            continue
        if tag in _HEADINGS:
            builder.add("heading", _text(element))
        elif tag == "li":
            builder.add("list", _text(element, skip={"ul", "ol"}), lines=True)
        elif tag == "table":
            rows = [[_text(cell) for cell in row.iter() if _tag(cell) in ("td", "th")]
                    for row in element.iter() if _tag(row) == "tr"]
            for row in table_rows(rows):
                builder.add("table", row)
        elif tag == "pre":
            builder.add("text", element.text_content(), lines=True)
        elif tag == "p" or (tag in _BLOCK_TAGS and not any(_tag(c) in _BLOCK_TAGS for c in element)):
            builder.add("text", _text(element), lines=True)


def _text(element, skip: frozenset[str] | set[str] = frozenset()) -> str:
    """The element's text with `<br>` as a line break and the subtrees named in `skip` left out."""
    parts = [element.text or ""]
    for child in element:
        tag = _tag(child)
        if tag == "br":
            parts.append("\n")
        elif tag not in skip and tag not in _SKIPPED:
            parts.append(_text(child, skip))
        parts.append(child.tail or "")
    return "".join(parts)


def _tag(element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""  # comments and processing instructions have none
    return tag.rsplit("}", 1)[-1].lower()


def _inside(element, tags: set[str]) -> bool:
    return any(_tag(parent) in tags for parent in element.iterancestors())
