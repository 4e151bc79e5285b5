"""The non-answer check alone (`adds_nothing`, no language model) against hand-labelled answer sentences.

    .venv/bin/python -m benchmarks.bench_non_answers [--show]

benchmarks/data/answer_sentences.jsonl holds sentences the system wrote (final answers and raw drafts) for the
development, held-out and squad2-dev questions, each labelled by hand: `answer` (states what was asked),
`partial` (new related content, but not what was asked), `non-answer` (names nothing the question did not).
Reported: the share of non-answers caught (recall) and the share of answers and partials wrongly caught; a
partial is information and must not be caught. tests/data/support_pairs.jsonl's `stated` pairs (a sentence that states the answer) are reported too.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from chatbot.answer.refusals import adds_nothing

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "benchmarks" / "data" / "answer_sentences.jsonl"
PAIRS = ROOT / "tests" / "data" / "support_pairs.jsonl"


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list every sentence the check gets wrong")
    args = parser.parse_args()

    rows = read(LABELLED)
    caught, total = Counter(), Counter()
    for row in rows:
        hit = adds_nothing(row["sentence"], row["question"])
        caught[row["label"]] += hit
        total[row["label"]] += 1
        if args.show and hit != (row["label"] == "non-answer"):
            print(f"  {'caught' if hit else 'missed'} [{row['label']}] {row['question']} -> {row['sentence']}")
    for label in ("non-answer", "partial", "answer"):
        print(f"{label:>10}: caught {caught[label]}/{total[label]} ({caught[label] / max(total[label], 1):.3f})")

    stated = [p for p in read(PAIRS) if p.get("kind") == "stated"]
    wrong = [p for p in stated if adds_nothing(p["sentence"], p["question"])]
    print(f"support_pairs stated: wrongly caught {len(wrong)}/{len(stated)}")
    if args.show:
        for p in wrong:
            print(f"  caught [stated] {p['question']} -> {p['sentence']}")


if __name__ == "__main__":
    main()
