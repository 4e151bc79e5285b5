"""How much of each document is left out as page furniture (navigation, credits, banners), per collection.

    .venv/bin/python -m benchmarks.bench_furniture [FOLDER ...]

Default folders: the bundled collection, squad2-dev's six Wikipedia articles, and the documents fixtures the tests
write (a reportlab PDF with running headers, a saved web page with its chrome, a Word file, the baking text and the
web capture of tests/test_documents_and_chunks.py). For each document: the lines left out, and their share of the
document's characters; what was removed is listed, so a reader can judge it.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from chatbot.errors import ChatbotError
from chatbot.ingest.documents import load_document, scan_corpus

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared" / "external" / "squad2-dev" / "corpus"


def fixtures(folder: Path) -> Path:
    """The documents fixtures of the test suite, written into `folder`."""
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers.makers import garden_docx, lighthouse_pdf
    from test_documents_and_chunks import BAKING
    from test_formats import BEES_PAGE

    lighthouse_pdf(folder / "lighthouse.pdf")
    garden_docx(folder / "garden.docx")
    (folder / "bees.html").write_text(BEES_PAGE, encoding="utf-8")
    (folder / "cookies.txt").write_text(BAKING, encoding="utf-8")
    return folder


def report(folder: Path, show: bool) -> None:
    total = removed = 0
    print(f"\n{folder}")
    print("| document | lines left out | characters left out | share |")
    print("|---|---|---|---|")
    for path in scan_corpus(folder)[0]:
        try:
            doc = load_document(path)
        except ChatbotError as err:  # as indexing does: named and skipped
            print(f"| {path.name} | skipped: {err} | | |")
            continue
        lines = doc.furniture
        chars = sum(len(x) for x in lines)
        total, removed = total + len(doc.text), removed + chars
        print(f"| {doc.doc_id} | {len(lines)} | {chars} | {chars / len(doc.text):.2%} |")
        if show:
            for line in lines:
                print(f"|   | {' '.join(line.split())[:90]} | | |")
    print(f"| all | | {removed} of {total} | {removed / max(total, 1):.2%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--quiet", action="store_true", help="counts only, not the lines")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folders = args.folders or [ROOT / "corpus", SQUAD, fixtures(Path(tmp))]
        for folder in folders:
            report(folder, not args.quiet)


if __name__ == "__main__":
    main()
