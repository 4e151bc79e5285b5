"""Does the model's own confidence in the words it wrote tell right answers from wrong ones, beyond the verdict?
Measured on gate-open eval runs, offline:

    .venv/bin/python benchmarks/measure_answer_confidence.py runs/nx-t0-project:corpus \
        runs/nx-t0-squad:$S/corpus runs/nx-t0-heldout:$S/corpus      # S=../shared/external/squad2-dev

For every answered record it rebuilds the prompt the model read, then feeds the model's raw answer back
one token at a time and reads the probability the model gave each of its own (greedy) tokens from the
next-token logits. Cached in runs/confidence/<run>.jsonl. The table: for each confidence floor, what
refusing the answers under it would do to confidently wrong answers and false refusals, with the
verdict's gate at its default.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from measure_meaning_check import score_run

from chatbot.bot import Chatbot
from chatbot.config import Settings

OUT = Path("runs/confidence")


def token_logprobs(generator, messages: list[dict], answer: str) -> list[float]:
    generator.yes_probability(messages)  # the prompt into llama.cpp's cache (only its uncached tokens are read)
    llm = generator._llm  # the llama.cpp engine: each token's logits need its context
    answer_tokens = llm.tokenize(answer.encode("utf-8"), add_bos=False, special=False)
    out = []
    for tok in answer_tokens:
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).astype(np.float64)
        top = logits.max()
        out.append(float(logits[tok] - top - math.log(np.exp(logits - top).sum())))
        llm.eval([tok])
    return out


def confidence_scores(bot: Chatbot, messages: list[dict], record: dict) -> dict:
    return {"logprobs": token_logprobs(bot.generator, messages, record["raw_answer"])}


STATS = {
    "mean": lambda lp: float(np.mean(lp)),
    "min": lambda lp: float(np.min(lp)),
    "first": lambda lp: lp[0],
    "p10": lambda lp: float(np.percentile(lp, 10)),
}


def cost(records: list[dict], gate: float, stat: str | None, floor: float) -> tuple[int, int]:
    """(confidently wrong, false refusals) with the verdict's gate at `gate` and answers whose confidence
    `stat` is under `floor` refused too."""
    wrong = refused = 0
    for r in records:
        p = r.get("answerable_probability")
        lp = (r["confidence"] or {}).get("logprobs")
        cut = r["refused"] or (p is not None and p < gate) or (stat is not None and lp and STATS[stat](lp) < floor)
        if cut:
            refused += r["answerable"]
        else:
            wrong += bool(r["metrics"].get("confidently_wrong"))
    return wrong, refused


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+", help="RUN_DIR:CORPUS_DIR of gate-open eval runs")
    parser.add_argument("--gate", type=float, default=Settings().answer.answerable_threshold)
    args = parser.parse_args()
    runs = {}
    for spec in args.runs:
        run, corpus = spec.split(":")
        runs[Path(run).name] = score_run(Path(run), Path(corpus), confidence_scores, OUT, "confidence")
    every = [r for records in runs.values() for r in records]
    base = {name: cost(records, args.gate, None, 0.0) for name, records in runs.items()}
    print(f"verdict alone at {args.gate}: " + ", ".join(f"{n} wrong {w} false refusals {f}" for n, (w, f) in base.items())
          + f"; summed cost {sum(2 * w + f for w, f in base.values())}")
    answered = [r for r in every if r["confidence"]]
    for stat, f in STATS.items():
        values = np.array([f(r["confidence"]["logprobs"]) for r in answered])
        print(f"\n{stat}: summed cost (2 x wrong + false refusals) by gate (rows) and confidence floor (columns: quantile of answers)")
        quantiles = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
        floors = [float(np.quantile(values, q)) - (1e-9 if q == 0 else 0) for q in quantiles]
        print("gate   " + "".join(f"{q:>7.2f}" for q in quantiles) + "   floors " + " ".join(f"{x:.2f}" for x in floors))
        for gate in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65):
            row = [sum(2 * w + fr for w, fr in (cost(records, gate, stat, fl) for records in runs.values())) for fl in floors]
            print(f"{gate:<6.2f} " + "".join(f"{c:>7}" for c in row))


if __name__ == "__main__":
    main()
