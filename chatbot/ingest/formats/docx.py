"""Word documents (.docx, python-docx): paragraphs in order, headings from their styles, list items,
and tables row by row (base.table_rows)."""
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
    return builder.result(document.core_properties.title or "")


def _add_table(builder: TextBuilder, table) -> None:
    for row in table_rows([[cell.text for cell in row.cells] for row in table.rows]):
        builder.add("table", row)
