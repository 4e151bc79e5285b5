"""Chooses CHATBOT_MEANING_MIN_YES: does the model, asked after its own answer, tell answers that answer the
question from ones that only reuse the sources' words? Measured on gate-open eval runs (every answer generated):

    CHATBOT_VERDICT_MIN_PROBABILITY=0 .venv/bin/python -m chatbot eval eval/questions.jsonl --out runs/t0-project  # etc.
    .venv/bin/python -m tools.measure_meaning_check runs/t0-project runs/t0-squad runs/t0-heldout

For every answered record it takes the prompt the model read from the answer's trace, and asks, per sentence of
the answer, whether it is a correct answer by the sources: P(yes) from the next-token logits (the cached prompt is
reused, so each sentence costs only its few new tokens). Scores are cached in
runs/meaning/<run>.jsonl; the table shows, for each threshold, what dropping the sentences under it
would do to confidently wrong answers and false refusals (with the answerability gate at its default).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from chatbot.answer.check import parse_answer
from chatbot.answer.meaning import meaning_messages
from chatbot.config import Settings
from chatbot.engines import load_generator
from chatbot.evaluation.metrics import contains_answer

OUT = Path("runs/meaning")


def meaning_scores(generator, messages: list[dict], record: dict) -> dict:
    """The model's P(yes) for each sentence of the record's answer, asked as a proposed answer."""
    sentences = [s.text for s in parse_answer(record["answer"])]
    return {"sentences": sentences, "p": [generator.yes_probability(meaning_messages(messages, s)) for s in sentences]}


def score_run(run: Path, score=meaning_scores, out_dir: Path = OUT, key: str = "meaning") -> list[dict]:
    """The run's records, each answered one with `score(generator, messages, record)` under `key` (cached in
    out_dir/<run>.jsonl): `messages` is the prompt the model read, from the answer's own trace."""
    cache = out_dir / f"{run.name}.jsonl"
    done = {r["id"]: r for r in map(json.loads, cache.read_text().splitlines())} if cache.exists() else {}
    results = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines() if line.strip()]
    todo = [r for r in results if not r["refused"] and r["id"] not in done]
    if todo:
        generator = load_generator(Settings.from_env())
        out_dir.mkdir(parents=True, exist_ok=True)
        with cache.open("a") as out:
            for i, r in enumerate(todo, 1):
                messages = (r.get("trace") or {}).get("messages")
                if not messages:
                    print(f"  {r['id']}: the run keeps no trace of the prompt (made before traces); skipped")
                    continue
                t0 = time.perf_counter()
                record = {"id": r["id"], **score(generator, messages, r)}
                done[r["id"]] = record
                out.write(json.dumps(record) + "\n")
                out.flush()
                print(f"  {run.name} {i}/{len(todo)} {time.perf_counter() - t0:.1f}s")
    return [r | {key: done.get(r["id"])} for r in results]


def outcome(r: dict, t: float, gate: float, gold: dict) -> str:
    """right / wrong (confidently wrong) / refused, for an answerable or unanswerable question."""
    p_ans = r.get("answerable_probability")
    if r["refused"] or (p_ans is not None and p_ans < gate):
        return "refused"
    m = r["meaning"]
    if m is None:
        return "right" if r["metrics"]["pass"] else "wrong"
    kept = [s for s, p in zip(m["sentences"], m["p"]) if p >= t]
    if not kept:
        return "refused"
    if not r["answerable"]:
        return "wrong"
    answers = gold.get(r["id"], [])
    if answers:
        return "right" if contains_answer(" ".join(kept), answers) else "wrong"
    return "right" if r["metrics"]["pass"] else "wrong"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+", type=Path, help="gate-open eval runs (CHATBOT_VERDICT_MIN_PROBABILITY=0)")
    parser.add_argument("--gate", type=float, default=Settings().answer.verdict_min_probability)
    args = parser.parse_args()
    runs = []
    for run in args.runs:
        run_info = json.loads((run / "run.json").read_text())
        gold = {q["id"]: q.get("answers", []) for q in map(json.loads, Path(run_info["questions"]).read_text().splitlines())
                if q.get("answerable", True)}
        runs.append((run, score_run(run), gold))
    total = {}
    for run, results, gold in runs:
        print(f"\n{run} gate {args.gate}: threshold  wrong  false-refusals  right  (answerable {sum(r['answerable'] for r in results)})")
        for t in [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]:
            o = [(outcome(r, t, args.gate, gold), r["answerable"]) for r in results]
            wrong = sum(x == "wrong" for x, _ in o)
            fr = sum(x == "refused" and a for x, a in o)
            right = sum(x == "right" for x, _ in o)
            total[t] = [a + b for a, b in zip(total.get(t, [0, 0, 0]), [wrong, fr, right])]
            print(f"{t:>30.1f}  {wrong:>5}  {fr:>14}  {right:>5}")
    print("\nall runs: threshold  wrong  false-refusals  right  cost (2 x wrong + false refusals)")
    for t, (wrong, fr, right) in total.items():
        print(f"{t:>19.1f}  {wrong:>5}  {fr:>14}  {right:>5}  {2 * wrong + fr:>5}")


if __name__ == "__main__":
    main()
