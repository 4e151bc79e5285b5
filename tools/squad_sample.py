"""Write a question set (the project's eval format) from SQuAD 2.0 calibration questions of the articles
the answerability head never saw, for an end-to-end check of the whole engine.

Run: .venv/bin/python -m tools.squad_sample [--n 200] [--out runs/squad-heldout.jsonl]
Then: .venv/bin/python -m chatbot eval runs/squad-heldout.jsonl --corpus ../shared/external/squad2-dev/corpus --out runs/squad-heldout
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from tools.train_answerability import HELD_OUT, ROOT


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calibration", type=Path, default=ROOT.parent / "shared/external/squad2-dev/calibration.jsonl")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "runs/squad-heldout.jsonl")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.calibration.read_text().splitlines() if line.strip()]
    held_out = [r for r in rows if r["article"] in HELD_OUT]
    sample = random.Random(0).sample(held_out, min(args.n, len(held_out)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as out:
        for r in sample:
            question = {"id": r["id"], "question": r["question"], "answerable": r["answerable"],
                        "answers": r["answers"] if r["answerable"] else [], "docs": [f"{r['article'].lower()}.txt"],
                        "evidence": []}
            out.write(json.dumps(question, ensure_ascii=False) + "\n")
    print(f"wrote {len(sample)} questions ({sum(r['answerable'] for r in sample)} answerable) to {args.out}")


if __name__ == "__main__":
    main()
