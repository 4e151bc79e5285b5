"""Saved web pages: the main content only (trafilatura), with the page's title, headings, lists and tables.

Navigation, cookie banners, comments, share buttons and footers are left behind by trafilatura's
main-content extraction, so they are never indexed.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import ChatbotError
from .base import Converted, TextBuilder, inside, table_rows

SUFFIXES = (".html", ".htm")

_BLOCKS = {"head": "heading", "p": "text", "item": "list", "table": "table", "quote": "text", "code": "text"}


def convert(path: Path, data: bytes) -> Converted:
    import trafilatura
    from lxml import etree
    from trafilatura.settings import use_config

    config = use_config()
    for key in ("MIN_EXTRACTED_SIZE", "MIN_OUTPUT_SIZE"):  # a short page of notes is a document too
        config.set("DEFAULT", key, "1")
    options = dict(output_format="xml", include_comments=False, include_tables=True, include_formatting=False,
                   include_links=False, include_images=False, with_metadata=True, config=config)
    xml = trafilatura.extract(data, **options)
    if xml and xml.count("<table") < _data_tables(data):
        # trafilatura's precision mode drops tables that end a short page; its recall mode keeps them
        recall = trafilatura.extract(data, favor_recall=True, **options)
        xml = recall if recall and recall.count("<table") > xml.count("<table") else xml
    if not xml:
        raise ChatbotError(f"{path.name} has no article text that could be found; save the page again "
                           f"(complete page, or as PDF) or copy its text into a .txt file.")
    root = etree.fromstring(xml.encode("utf-8"))
    builder = TextBuilder()
    main = root.find("main")
    for element in (main if main is not None else root).iter(*_BLOCKS):
        if inside(element, ("item", "table")):
            continue  # read as part of its list item or table
        if element.tag == "table":
            rows = list(element.iter("row"))
            head = bool(rows) and any(c.get("role") == "head" for c in rows[0].iter("cell"))  # <th>: a header, carried
            for row in table_rows([[" ".join(c.itertext()) for c in r.iter("cell")] for r in rows], has_header=head):
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


def _data_tables(data: bytes) -> int:
    """How many tables of data (two rows of two filled cells or more) the page has; tables used for layout (holding
    other tables) do not count."""
    import lxml.html

    try:
        page = lxml.html.document_fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return 0
    return sum(not any(True for _ in table.iterdescendants("table"))
               and sum(len([c for c in row.iter("td", "th") if c.text_content().strip()]) >= 2 for row in table.iter("tr")) >= 2
               for table in page.iter("table"))
