"""Would an uncertain band help the answerability verdict? Below `low` the question is refused, at or above
the default threshold it is answered as today, and in between it is answered only when every sentence of
the answer passes the meaning check at a stricter `m`. Measured offline on gate-open eval runs:

    .venv/bin/python benchmarks/measure_verdict_band.py runs/nx-t0-project:corpus \
        runs/nx-t0-squad:../shared/external/squad2-dev/corpus runs/nx-t0-heldout:../shared/external/squad2-dev/corpus

Each answered sentence's meaning-check P(yes) comes from measure_meaning_check.py's scoring (cached in
runs/meaning/). The table gives, for each (low, m), how much the summed cost (2 x confidently wrong + false
refusals) would change against refusing the whole band (negative is better).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from measure_meaning_check import score_run

from chatbot.config import Settings

LOWS = (0.25, 0.35, 0.45, 0.5)
STRICT = (0.5, 0.6, 0.7, 0.75, 0.8, 0.9)


def band_answers(run: Path, corpus: Path, low: float, high: float) -> list[dict]:
    """The run's answered records with low <= P < high, each with its sentences' meaning-check P(yes)."""
    return [{"p": r["answerable_probability"], "meaning": r["meaning"]["p"], "answerable": r["answerable"],
             "wrong": bool(r["metrics"].get("confidently_wrong"))}
            for r in score_run(run, corpus)
            if r["meaning"] and r["answerable_probability"] is not None and low <= r["answerable_probability"] < high]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+", help="RUN:CORPUS pairs of gate-open eval runs")
    args = parser.parse_args()
    high = Settings.from_env().answer.answerable_threshold
    runs = {}
    for pair in args.runs:
        run, corpus = pair.split(":", 1)
        runs[run] = band_answers(Path(run), Path(corpus), min(LOWS), high)
        wrong = sum(r["wrong"] for r in runs[run])
        print(f"{run}: {len(runs[run])} answers in [{min(LOWS)}, {high}), {wrong} confidently wrong")
    print("\n  low     m   admitted   cost change")
    for low in LOWS:
        for m in STRICT:
            admitted = [r for rs in runs.values() for r in rs
                        if r["p"] >= low and r["meaning"] and min(r["meaning"]) >= m]
            change = sum(2 if r["wrong"] else -1 if r["answerable"] else 0 for r in admitted)
            print(f"{low:5.2f} {m:5.2f} {len(admitted):10d} {change:13d}")


if __name__ == "__main__":
    main()
