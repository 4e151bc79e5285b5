"""The answerability threshold, end to end: every evaluation metric at each threshold, from one eval run.

Run the evaluation once with the gate open (every answer is generated, each record keeps the verdict's
`answerable_probability`), then apply each threshold to the records:

    CHATBOT_VERDICT_MIN_PROBABILITY=0 .venv/bin/python -m chatbot eval eval/questions.jsonl --out runs/t0-project
    .venv/bin/python -m benchmarks.sweep_verdict_min_probability runs/t0-project [runs/t0-squad ...]

This is exact, not an estimate: the verdict is taken before the model writes anything, so at threshold t
a question with probability < t is refused (`not_answered`) and every other one gets the very answer
of the open run.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from chatbot.config import Settings
from chatbot.evaluation.runner import summarise

COLUMNS = ("pass_rate", "refusal_recall", "false_refusal_rate", "confidently_wrong", "answer_contains_gold")


def gated(record: dict, threshold: float) -> dict:
    """The record as the engine would have produced it with the gate at `threshold`."""
    p = record.get("answerable_probability")
    if p is None or p >= threshold:
        return record
    metrics = {**record["metrics"], "pass": not record["answerable"], "confidently_wrong": False,
               "citation_recall": None, "citation_precision": None}
    if record["answerable"]:
        metrics.update(answer_f1=0.0, cited_gold_doc=None,
                       contains_answer=False if metrics.get("contains_answer") is not None else None)
    return {**record, "refused": True, "refusal_reason": "not_answered", "citations": [], "metrics": metrics}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--thresholds", type=float, nargs="*", default=[x / 20 for x in range(0, 17)])
    args = parser.parse_args()
    settings = Settings()
    costs = dict.fromkeys(args.thresholds, (0, 0))  # summed over the runs: (confidently wrong, false refusals)
    for run in args.runs:
        results = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines() if line.strip()]
        print(f"\n{run} ({len(results)} questions)\n{'threshold':>9}  " + "  ".join(f"{c:>20}" for c in COLUMNS))
        for t in args.thresholds:
            gated_results = [gated(r, t) for r in results]
            summary = summarise(gated_results, settings)
            print(f"{t:9.2f}  " + "  ".join(f"{_fmt(summary[c]):>20}" for c in COLUMNS))
            false_refusals = sum(r["answerable"] and r["refused"] for r in gated_results)
            costs[t] = (costs[t][0] + summary["confidently_wrong"], costs[t][1] + false_refusals)
    # A confidently wrong answer is the worst outcome there is: it counts twice, a false refusal once.
    print(f"\nall runs\n{'threshold':>9}  {'confidently wrong':>20}  {'false refusals':>20}  {'cost (2 x wrong + refusals)':>28}")
    for t, (wrong, refused) in costs.items():
        print(f"{t:9.2f}  {wrong:>20}  {refused:>20}  {2 * wrong + refused:>28}")


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
