"""Saved web pages: the main content only (trafilatura), with the page's title, headings, lists and tables.

Navigation, cookie banners, comments, share buttons and footers are left behind by trafilatura's
main-content extraction, so they are never indexed.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import ChatbotError
from .base import Converted, TextBuilder, table_rows

SUFFIXES = (".html", ".htm")

_BLOCKS = {"head": "heading", "p": "text", "item": "list", "table": "table", "quote": "text", "code": "text"}


def convert(path: Path, data: bytes) -> Converted:
    import trafilatura
    from lxml import etree
    from trafilatura.settings import use_config

    config = use_config()
    for key in ("MIN_EXTRACTED_SIZE", "MIN_OUTPUT_SIZE"):  # a short page of notes is a document too
        config.set("DEFAULT", key, "1")
    xml = trafilatura.extract(data, output_format="xml", include_comments=False, include_tables=True, include_formatting=False,
                              include_links=False, include_images=False, with_metadata=True, config=config)
    if not xml:
        raise ChatbotError(f"{path.name} has no article text that could be found; save the page again "
                           f"(complete page, or as PDF) or copy its text into a .txt file.")
    root = etree.fromstring(xml.encode("utf-8"))
    builder = TextBuilder()
    main = root.find("main")
    for element in (main if main is not None else root).iter(*_BLOCKS):
        if _inside(element, ("item", "table")):
            continue  # read as part of its list item or table
        if element.tag == "table":
            for row in table_rows([[" ".join(c.itertext()) for c in r.iter("cell")] for r in element.iter("row")]):
                builder.add("table", row)
        else:
            builder.add(_BLOCKS[element.tag], _with_line_breaks(element), lines=True)
    return builder.result(root.get("title") or "")


def _with_line_breaks(element) -> str:
    """The element's text with its `<br>` kept as line breaks (other whitespace is not): an address or a list of
    figures written line by line is read line by line, not run together into one sentence."""
    lines, line = [], [element.text or ""]
    for child in element:
        if child.tag == "lb":
            lines, line = [*lines, line], []
        else:
            line.append(" ".join(child.itertext()))
        line.append(child.tail or "")
    return "\n".join(" ".join(" ".join(parts).split()) for parts in [*lines, line])


def _inside(element, tags: tuple[str, ...]) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False
