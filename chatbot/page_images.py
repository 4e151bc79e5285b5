"""A cited PDF page as an image, with the supporting sentences highlighted on it (the app's source viewer)."""
from __future__ import annotations

from pathlib import Path


def render_page(path: Path, page_number: int, sentences: list[str], width: int = 900):
    """The page as a PIL image, `width` pixels wide, with each sentence found on it highlighted."""
    import pypdfium2
    from PIL import Image, ImageDraw

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        page = pdf[page_number - 1]
        scale = width / page.get_width()
        image = page.render(scale=scale).to_pil().convert("RGBA")
        layer = Image.new("RGBA", image.size, (0, 0, 0, 0))  # drawn apart and laid over, so the text shows through
        overlay = ImageDraw.Draw(layer)
        height = page.get_height()
        textpage = page.get_textpage()
        try:
            for left, bottom, right, top in _sentence_boxes(textpage, sentences):
                overlay.rectangle([left * scale, (height - top) * scale, right * scale, (height - bottom) * scale],
                                  fill=(255, 165, 0, 90), outline=(230, 120, 0, 255))
        finally:
            textpage.close()
    finally:
        pdf.close()
    return Image.alpha_composite(image, layer).convert("RGB")


def _sentence_boxes(textpage, sentences: list[str]) -> list[tuple[float, float, float, float]]:
    """Boxes of the characters of each sentence on the page, matched on letters and digits only (the
    document text was joined and de-hyphenated, the page's was not)."""
    text = textpage.get_text_range()
    kept = [i for i, ch in enumerate(text) if ch.isalnum()]
    letters = "".join(text[i] for i in kept).lower()
    boxes = []
    for sentence in sentences:
        wanted = "".join(ch for ch in sentence if ch.isalnum()).lower()
        at = letters.find(wanted) if wanted else -1
        if at < 0 and " | " in sentence:  # a table row that carries its header ("Fee: £25 | …"): the page has the cells
            wanted = "".join(ch for cell in sentence.split(" | ") for ch in cell.split(": ", 1)[-1] if ch.isalnum()).lower()
            at = letters.find(wanted) if wanted else -1
        if at < 0:
            continue
        first, last = kept[at], kept[at + len(wanted) - 1]
        for i in range(textpage.count_rects(first, last - first + 1)):
            boxes.append(textpage.get_rect(i))
    return boxes
