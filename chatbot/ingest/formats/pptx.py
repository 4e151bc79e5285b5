"""PowerPoint presentations (.pptx, python-pptx): one page per slide, as shown in a slide show. On each slide its title
is a heading, then its text in reading order (top to bottom, left to right; grouped shapes with their group): bullet
points as list items, other text boxes as paragraphs, tables row by row (base.table_rows), and the speaker notes last
("Speaker notes: …"), where a presenter keeps what the slide only hints at. Hidden slides are not shown, so not read."""
from __future__ import annotations

from pathlib import Path

from .base import Converted, TextBuilder, open_office_file, table_rows

SUFFIXES = (".pptx",)


def convert(path: Path, data: bytes) -> Converted:
    import pptx
    from pptx.exc import PackageNotFoundError

    presentation = open_office_file(path, data, pptx.Presentation, (PackageNotFoundError,), "a PowerPoint .pptx file",
                                    "PowerPoint")
    builder = TextBuilder()
    shown = [slide for slide in presentation.slides if slide._element.get("show") != "0"]
    for number, slide in enumerate(shown, 1):
        for kind, text in _slide_blocks(slide.shapes):
            builder.add(kind, text, number, lines=True)
        notes = slide.notes_slide.notes_text_frame if slide.has_notes_slide else None
        if notes is not None and notes.text.strip():
            builder.add("text", f"Speaker notes: {_text(notes.text)}", number, lines=True)
    return builder.result(presentation.core_properties.title or "", len(shown))


def _slide_blocks(shapes) -> list[tuple[str, str]]:
    """(kind, text) of the shapes in reading order; a title placeholder gives the heading."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER

    titles = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE}
    bullets = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT, PP_PLACEHOLDER.VERTICAL_BODY, PP_PLACEHOLDER.VERTICAL_OBJECT}

    def kind(shape) -> str:
        placeholder = shape.placeholder_format.type if shape.is_placeholder else None
        return "heading" if placeholder in titles else "list" if placeholder in bullets else "text"

    blocks = []
    for shape in sorted(shapes, key=lambda s: (kind(s) != "heading", s.top or 0, s.left or 0)):
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            blocks += _slide_blocks(shape.shapes)
        elif shape.has_table:
            rows = [[_text(cell.text) for cell in row.cells] for row in shape.table.rows]
            blocks += [("table", row) for row in table_rows(rows)]
        elif shape.has_text_frame:
            paragraphs = [_text(p.text) for p in shape.text_frame.paragraphs if p.text.strip()]
            if kind(shape) == "heading":
                blocks.append(("heading", " ".join(paragraphs)))
            else:
                blocks += [(kind(shape) if len(paragraphs) > 1 else "text", paragraph) for paragraph in paragraphs]
    return blocks


def _text(text: str) -> str:
    return text.replace("\v", "\n")  # python-pptx writes a line break inside a paragraph (Shift+Enter) as a vertical tab
