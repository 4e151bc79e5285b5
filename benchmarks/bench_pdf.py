"""PDF: which library reads it (pypdfium2 or pypdf), and how fast a 300-page PDF is converted and indexed.

    .venv/bin/python -m benchmarks.bench_pdf [--pages 300]

1. Fidelity: the six squad2-dev articles written as PDFs (reportlab, a running header and a page-number
   footer on every page, as benchmarks/bench_formats.py writes them) are read back by both libraries;
   the word-level similarity (difflib ratio) to the original .txt is reported, and for pypdfium2 also
   through the project's converter (which drops the running header and footer).
2. Speed: a PDF of --pages pages (headings and paragraphs of the squad2-dev articles, in turn) is read
   by both libraries (raw text, median of 3), converted by the project (text, headings, pages), and
   indexed from scratch (chunks/s, with the embedding, FAISS and BM25 it takes).
"""
from __future__ import annotations

import argparse
import difflib
import statistics
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

from benchmarks.bench_formats import SQUAD, read_article, write_pdf
from chatbot.config import Settings
from chatbot.index.backend import build_index
from chatbot.index.embeddings import Embedder
from chatbot.ingest import documents
from chatbot.ingest.documents import load_document
from chatbot.ingest.formats import convert

ROOT = Path(__file__).resolve().parent.parent


def pdfium_text(path: Path) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    pages = [page.get_textpage().get_text_range() for page in pdf]
    pdf.close()
    return pages


def pypdf_text(path: Path) -> list[str]:
    import pypdf

    return [page.extract_text() for page in pypdf.PdfReader(str(path)).pages]


def similarity(reference: str, text: str) -> float:
    return difflib.SequenceMatcher(None, reference.split(), text.split(), autojunk=False).ratio()


def long_pdf(path: Path, pages: int) -> int:
    """At least `pages` pages of headings and paragraphs, in the layout of a report; returns the page count."""
    per_page = 4800  # characters of body text on an A4 page, about; corrected after a first try
    for _ in range(3):
        n = _write_long_pdf(path, pages * per_page)
        if n >= pages:
            return n
        per_page = per_page * pages / n * 1.02
    return n


def _write_long_pdf(path: Path, total_chars: float) -> int:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    articles = [read_article(p) for p in sorted((SQUAD / "corpus").glob("*.txt"))]
    story, chars, round_ = [], 0, 0
    while chars < total_chars:
        round_ += 1
        for title, paragraphs in articles:
            story.append(Paragraph(escape(f"{title}, part {round_}"), styles["Heading1"]))
            story += [Paragraph(escape(p), styles["BodyText"]) for p in paragraphs]
            chars += sum(map(len, paragraphs))

    def footer(canvas, doc):
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, A4[1] - 40, "Collected articles")
        canvas.drawRightString(A4[0] - 72, 30, f"Page {doc.page}")
    SimpleDocTemplate(str(path), pagesize=A4).build(story, onFirstPage=footer, onLaterPages=footer)
    return len(pdfium_text(path))


def timed(fn, *args, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("| article | pypdf | pypdfium2 | pypdfium2 + converter |\n|---|---|---|---|")
        for article in sorted((SQUAD / "corpus").glob("*.txt")):
            title, paragraphs = read_article(article)
            pdf = tmp / f"{article.stem}.pdf"
            write_pdf(title, paragraphs, pdf)
            reference = "\n".join([title, *paragraphs])
            print(f"| {article.stem} | {similarity(reference, ' '.join(pypdf_text(pdf))):.4f} "
                  f"| {similarity(reference, ' '.join(pdfium_text(pdf))):.4f} "
                  f"| {similarity(reference, load_document(pdf).text):.4f} |")

        corpus = tmp / "corpus"
        corpus.mkdir()
        big = corpus / "collected.pdf"
        n_pages = long_pdf(big, args.pages)
        t_pypdf, _ = timed(pypdf_text, big)
        t_pdfium, _ = timed(pdfium_text, big)
        t_convert, converted = timed(convert, big, big.read_bytes())  # the converter itself (load_document caches)
        print(f"\n{big.stat().st_size / 1e6:.1f} MB, {n_pages} pages, {len(converted.text):,} characters")
        print(f"raw text, pypdf:     {t_pypdf:6.2f} s  {n_pages / t_pypdf:7.1f} pages/s")
        print(f"raw text, pypdfium2: {t_pdfium:6.2f} s  {n_pages / t_pdfium:7.1f} pages/s  ({t_pypdf / t_pdfium:.1f}x pypdf)")
        print(f"converter (pypdfium2, headings, furniture, pages): {t_convert:6.2f} s  {n_pages / t_convert:7.1f} pages/s")
        settings = Settings(corpus_dir=corpus, index_dir=tmp / "index")
        embedder = Embedder(settings.embedding_model)
        embedder.embed(["warm up"])
        documents._RECENT.clear()  # convert again inside the build, as for a file never seen
        report = build_index(settings, embedder, progress=False)
        print(f"index from scratch (convert, chunk, embed, FAISS, BM25): {report.seconds:6.1f} s  "
              f"{report.n_chunks} chunks  {report.n_chunks / report.seconds:6.1f} chunks/s  {n_pages / report.seconds:5.1f} pages/s")


if __name__ == "__main__":
    main()
