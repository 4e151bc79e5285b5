"""PDF: text in reading order with its pages (pypdfium2), headings by font, running headers and footers dropped,
pages without a text layer read by Tesseract OCR; and a page rendered as an image with sentences highlighted.

pypdfium2 was chosen over pypdf by measurement (benchmarks/bench_pdf.py, docs/results/2026-11-30-formats.md): it extracts text several
times faster, and it gives what pypdf does not: each character's box and font (headings, furniture by
position, highlights on the page image) and page rendering (OCR, the viewer).
"""
from __future__ import annotations

import ctypes
import dataclasses
import os
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ...errors import ChatbotError
from .base import Converted, TextBuilder, table_rows

SUFFIXES = (".pdf",)

OCR_DPI = 300  # Tesseract reads best at about 300 dpi
_PAGE_NUMBER = re.compile(r"^(page\s*)?[-–—(]?\s*([0-9]+|[ivxlc]+)\s*[-–—)]?(\s*(of|/)\s*[0-9]+)?$", re.IGNORECASE)
_BULLET = re.compile(r"^([•◦▪●■\-–—*]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)])\s")
_ENDS_PARAGRAPH = re.compile(r"[.!?:;\"”’)]$")
_UNTITLED = re.compile(r"^(untitled|\(?anonymous\)?|microsoft word - .*|document\d*)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Line:
    text: str
    page: int  # 1-based
    top: float  # distance from the top of the page, in points
    bottom: float
    size: float  # font size of its first character
    bold: bool
    rank: int  # position on its page counted from the nearer edge, top or bottom (0 = the edge line)
    whole: bool = False  # a whole paragraph already (as OCR finds them), not one printed line
    cells: tuple[str, ...] = ()  # the line cut at its column gaps, when it has any (a table row)
    columns: tuple[float, ...] = ()  # where its second and later cells start, in points from the left


def convert(path: Path, data: bytes) -> Converted:
    pdfium = _pdfium()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ChatbotError(f"{path.name} is password-protected; save a copy without a password and add that instead.") from None
        raise ChatbotError(f"{path.name} is damaged or not a PDF ({exc}); export it again or remove it.") from None
    try:
        n_pages = len(pdf)
        title = str(pdf.get_metadata_dict().get("Title") or "").strip()
        lines = []
        for number in range(1, n_pages + 1):
            # no text layer: a scan (or an empty page), read by OCR
            lines.extend(_text_lines(pdf[number - 1], number) or _ocr_paragraphs(pdf[number - 1], number, path))
    finally:
        pdf.close()
    if not lines:
        raise ChatbotError(f"{path.name} has no text layer and OCR found no text in it; check that the scan is legible, "
                           f"or add the text as a .txt file.")
    return _build(lines, n_pages).result("" if _UNTITLED.match(title) else title, n_pages)


def _pdfium():
    import pypdfium2

    return pypdfium2


def _text_lines(page, number: int) -> list[_Line]:
    """The page's lines in pdfium's reading order, each with its position and font."""
    raw = _pdfium().raw
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        height = page.get_height()
        found, offset = [], 0
        for line in re.split(r"\r\n|\r|\n", text):
            first = offset + len(line) - len(line.lstrip())
            offset += len(line) + 2
            if not line.strip():
                continue
            _, bottom, _, top = textpage.get_charbox(first, loose=True)
            size = raw.FPDFText_GetFontSize(textpage.raw, first)
            name = ctypes.create_string_buffer(128)
            raw.FPDFText_GetFontInfo(textpage.raw, first, name, 128, None)
            bold = b"bold" in name.value.lower() or raw.FPDFText_GetFontWeight(textpage.raw, first) >= 600
            cells, columns = _cells(textpage, line.strip(), first, size)
            found.append(_Line(line.strip(), number, height - top, height - bottom, round(size, 1), bold, rank=0,
                               cells=cells, columns=columns))
    finally:
        textpage.close()
    return _ranked(found)


def _cells(textpage, line: str, first: int, size: float) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The line cut where the gap between two words is wider than a space's (_COLUMN_GAP em), with where each later
    cell starts; ((), ()) for a line without such gaps. Whether the cuts make a table is decided by their alignment
    with the next or previous line's (_in_table): a justified line's wide spaces do not line up."""
    cuts = []
    for at in (i for i, ch in enumerate(line) if ch == " " and 0 < i < len(line) - 1 and line[i - 1] != " "):
        after = next(i for i in range(at + 1, len(line)) if line[i] != " ")
        left_end = textpage.get_charbox(first + at - 1)[2]
        right_start = textpage.get_charbox(first + after)[0]
        if right_start - left_end > _COLUMN_GAP * max(size, 1.0):
            cuts.append((at, after, right_start))
    if not cuts:
        return (), ()
    starts, ends = [0, *(b for _, b, _ in cuts)], [*(a for a, _, _ in cuts), len(line)]
    return tuple(line[a:b].strip() for a, b in zip(starts, ends)), tuple(round(x, 1) for _, _, x in cuts)


_COLUMN_GAP = 0.8  # in ems: a table's cell padding is about one em; a space is a quarter
_ALIGNED = 2.0  # points: cells of one column start within this of each other


def _ranked(lines: list[_Line]) -> list[_Line]:
    by_position = sorted(range(len(lines)), key=lambda i: lines[i].top)
    ranks = {i: min(r, len(lines) - 1 - r) for r, i in enumerate(by_position)}
    return [dataclasses.replace(line, rank=ranks[i]) for i, line in enumerate(lines)]


def _ocr_paragraphs(page, number: int, path: Path) -> list[_Line]:
    """The paragraphs Tesseract reads on a page image, with their positions (for running headers and footers)."""
    import pytesseract

    if not any(True for _ in page.get_objects(filter=[_pdfium().raw.FPDF_PAGEOBJ_IMAGE])):
        return []  # an empty page: nothing to read

    # Tesseract's own OpenMP threads made it 5x slower on 2 cores (10.4 s against 1.9 s a page, docs/results/2026-11-30-formats.md): one thread.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    image = page.render(scale=OCR_DPI / 72).to_pil()
    try:
        data = pytesseract.image_to_data(image, lang="eng", output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError:
        raise ChatbotError(f"{path.name} is a scan without a text layer and Tesseract OCR is not installed to read it; "
                           f"install it (`make setup`, or apt-get install tesseract-ocr tesseract-ocr-eng).") from None
    except (pytesseract.TesseractError, RuntimeError) as exc:
        raise ChatbotError(f"{path.name} is a scan without a text layer and OCR failed on it ({exc}); "
                           f"add the text as a .txt file instead.") from None
    words: dict[tuple[int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if word.strip() and float(data["conf"][i]) >= 0:
            words.setdefault((data["block_num"][i], data["par_num"][i]), []).append(i)
    points = 72 / OCR_DPI
    paragraphs = [_Line(" ".join(data["text"][i] for i in ids), number, min(data["top"][i] for i in ids) * points,
                        max(data["top"][i] + data["height"][i] for i in ids) * points, 0.0, False, 0, whole=True)
                  for ids in words.values()]
    return _ranked(paragraphs)


def _furniture(lines: list[_Line], n_pages: int) -> set[int]:
    """Running headers and footers: near a page's top or bottom edge and repeated (numbers aside) on at
    least half the pages; and bare page numbers there."""
    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())
    edge = [i for i, line in enumerate(lines) if line.rank < 2]
    pages_with: dict[str, set[int]] = {}
    for i in edge:
        pages_with.setdefault(key(lines[i]), set()).add(lines[i].page)
    repeated = max(2, n_pages // 2)
    return {i for i in edge if len(pages_with[key(lines[i])]) >= repeated or _PAGE_NUMBER.match(lines[i].text)}


def _build(lines: list[_Line], n_pages: int) -> TextBuilder:
    furniture = _furniture(lines, n_pages)
    content = [line for i, line in enumerate(lines) if i not in furniture]
    body = _body_size(content)
    pitch = _line_pitch(content)
    builder, previous, kind = TextBuilder(), None, ""
    for n, line in enumerate(content):
        if _in_table(content, n):
            if not _in_table(content, n - 1):  # the table's first row: the whole run of rows, header carried
                end = n
                while _in_table(content, end + 1):
                    end += 1
                run = content[n:end + 1]
                # A PDF says which row is the header only by its type: bold over plain.
                texts = table_rows([list(row.cells) for row in run], has_header=run[0].bold and not run[1].bold)
                for row, text in zip(run[len(run) - len(texts):], texts):  # a header row gives no line of its own
                    builder.add("table", text, row.page)
            previous, kind = None, "table"
            continue
        heading = not line.whole and _is_heading(line, body)
        this_kind = "heading" if heading else "list" if _BULLET.match(line.text) else "text"
        if previous is None or line.whole or previous.whole or _starts_block(previous, line, pitch, heading, kind, this_kind):
            builder.add(this_kind, line.text, line.page)
            kind = this_kind
        else:  # pdfium already glues a word hyphenated across lines (its mark U+FFFE is dropped by clean_inline)
            builder.extend_last(line.text, line.page)
        previous = line
    return builder


def _in_table(lines: list[_Line], n: int) -> bool:
    """A row of a table: a line with column gaps, next to another whose cells start at the same place."""
    def row(m: int) -> bool:
        return 0 <= m < len(lines) and bool(lines[m].columns) and not _BULLET.match(lines[m].text)  # "•  item" is a list
    return row(n) and any(row(m) and _aligned(lines[n], lines[m]) for m in (n - 1, n + 1))


def _aligned(a: _Line, b: _Line) -> bool:
    return a.page == b.page and any(abs(x - y) <= _ALIGNED for x in a.columns for y in b.columns)


def _starts_block(previous: _Line, line: _Line, pitch: float, heading: bool, kind: str, this_kind: str) -> bool:
    if heading or kind == "heading":  # a heading's lines run on while its font does; what follows it starts anew
        return not (heading and kind == "heading" and line.size == previous.size and line.page == previous.page
                    and 0 < line.bottom - previous.bottom <= 1.5 * line.size)
    if this_kind == "list" or abs(line.size - previous.size) > 0.5:
        return True
    if line.page != previous.page or line.top < previous.top - pitch / 2:  # next page, or up to the next column
        return bool(_ENDS_PARAGRAPH.search(previous.text))
    return line.bottom - previous.bottom > 1.3 * pitch  # a gap wider than the line spacing


def _is_heading(line: _Line, body: float) -> bool:
    words = len(line.text.split())
    if words > 14 or _ENDS_PARAGRAPH.search(line.text) and not line.text.endswith(":"):
        return False
    return line.size >= 1.15 * body or (line.bold and line.size >= body - 0.5 and words <= 10)


def _body_size(lines: list[_Line]) -> float:
    sizes = Counter()
    for line in lines:
        if not line.whole:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _line_pitch(lines: list[_Line]) -> float:
    """The usual distance between the baselines of consecutive lines of a paragraph."""
    steps = [b.bottom - a.bottom for a, b in zip(lines, lines[1:])
             if a.page == b.page and a.size == b.size and not a.whole and 0 < b.bottom - a.bottom < 3 * max(a.size, 1)]
    return statistics.median(steps) if steps else 14.0
