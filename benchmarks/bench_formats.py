"""Quality carries over formats: squad2-dev's articles converted to PDF, HTML and DOCX, each evaluated with `eval`.

    .venv/bin/python -m benchmarks.bench_formats --baseline runs/t0-squad-10   # about 30 min per format on 2 cores

Each article (title line, then paragraphs) is written by a real writer of the format, as a person's files
would be: PDF by reportlab (a running header with the title and a page-number footer on every page),
HTML as a saved web page (cookie banner, navigation, comments and footer around the article), DOCX by
python-docx (Title and body styles). Each question's `docs` are mapped to the converted file of the same
stem, and `python -m chatbot eval --corpus` runs on each folder. The table compares evidence hit and
pass rate with the .txt run given as --baseline (or run here with `--formats txt,...`). The evaluation
runs with the environment it is given (e.g. CHATBOT_VERDICT_MIN_PROBABILITY=0 to match a baseline run
that way).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from html import escape as html_escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared" / "external" / "squad2-dev"
METRICS = ("evidence_hit_at_k", "pass_rate", "refusal_recall", "false_refusal_rate", "answer_contains_gold", "cited_doc_accuracy")


def read_article(path: Path) -> tuple[str, list[str]]:
    lines = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return lines[0], lines[1:]


def write_pdf(title: str, paragraphs: list[str], target: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()

    def furniture(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, A4[1] - 40, f"{title} (Wikipedia)")
        canvas.drawRightString(A4[0] - 72, 30, f"Page {doc.page}")
        canvas.restoreState()

    story = [Paragraph(xml_escape(title), styles["Title"])] + [Paragraph(xml_escape(p), styles["BodyText"]) for p in paragraphs]
    SimpleDocTemplate(str(target), pagesize=A4, title=title).build(story, onFirstPage=furniture, onLaterPages=furniture)


def write_html(title: str, paragraphs: list[str], target: Path) -> None:
    body = "\n".join(f"<p>{html_escape(p)}</p>" for p in paragraphs)
    target.write_text(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html_escape(title)} - Wikipedia</title></head>
<body>
<div class="cookie-banner" id="cookie-consent">We use cookies to give you the best experience.
<button>Accept all</button> <a href="/privacy">Manage preferences</a></div>
<header><nav><ul><li><a href="/">Main page</a></li><li><a href="/random">Random article</a></li>
<li><a href="/donate">Donate</a></li><li><a href="/contact">Contact us</a></li></ul></nav></header>
<main><article><h1>{html_escape(title)}</h1>
{body}
</article></main>
<section id="comments"><h2>Comments</h2><div class="comment"><p>Great read, thanks for sharing! Check out my blog for more.</p></div></section>
<footer><p>Text is available under the Creative Commons Attribution-ShareAlike License. Privacy policy. About. Disclaimers.</p></footer>
</body></html>
""", encoding="utf-8")


def write_docx(title: str, paragraphs: list[str], target: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=0)
    for p in paragraphs:
        document.add_paragraph(p)
    document.save(str(target))


WRITERS = {"pdf": write_pdf, "html": write_html, "docx": write_docx}


def prepare(fmt: str, out: Path) -> tuple[Path, Path]:
    """The converted collection and its question file, under out/<fmt>/."""
    corpus, questions = out / fmt / "corpus", out / fmt / "questions.jsonl"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    for article in sorted((SQUAD / "corpus").glob("*.txt")):
        if fmt == "txt":
            shutil.copy(article, corpus / article.name)
        else:
            WRITERS[fmt](*read_article(article), corpus / f"{article.stem}.{fmt}")
    records = [json.loads(line) for line in (SQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    with open(questions, "w", encoding="utf-8") as f:
        for r in records:
            r["docs"] = [f"{Path(d).stem}.{fmt}" for d in r.get("docs", [])]
            f.write(json.dumps(r) + "\n")
    return corpus, questions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--formats", default="pdf,html,docx")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "formats")
    parser.add_argument("--baseline", type=Path, help="a finished eval of the .txt articles (else: --formats txt,...)")
    parser.add_argument("--convert-only", action="store_true")
    args = parser.parse_args()
    runs = {"txt": args.baseline} if args.baseline else {}
    for fmt in args.formats.split(","):
        corpus, questions = prepare(fmt, args.out)
        print(f"{fmt}: {len(list(corpus.iterdir()))} files in {corpus}", flush=True)
        if args.convert_only:
            continue
        runs[fmt] = args.out / fmt / "eval"
        subprocess.run([sys.executable, "-m", "chatbot", "eval", str(questions), "--corpus", str(corpus), "--out", str(runs[fmt])],
                       check=True, cwd=ROOT)
    if args.convert_only:
        return
    summaries = {fmt: json.loads((run / "summary.json").read_text(encoding="utf-8")) for fmt, run in runs.items()}
    print("\n| format | " + " | ".join(METRICS) + " |\n|---|" + "---|" * len(METRICS))
    for fmt, s in summaries.items():
        print(f"| {fmt} | " + " | ".join(f"{s[m]:.3f}" if isinstance(s.get(m), float) else str(s.get(m)) for m in METRICS) + " |")


if __name__ == "__main__":
    main()
