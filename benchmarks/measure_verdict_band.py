"""Would an uncertain band help the answerability verdict? Below `--low` the question is refused, at or above
the default threshold it is answered as today, and in between it is answered only when every sentence of
the answer passes the meaning check at a stricter `m`. Measured offline on gate-open eval runs:

    .venv/bin/python benchmarks/measure_verdict_band.py runs/nx-t0-project:corpus \
        runs/nx-t0-squad:../shared/external/squad2-dev/corpus runs/nx-t0-heldout:../shared/external/squad2-dev/corpus

Each answered record whose verdict fell in the band has its prompt rebuilt (same retrieval and excerpts)
and each sentence of its answer re-read by the meaning check (chatbot/answer/meaning.py). The table gives,
for each (low, m), how much the summed cost (2 x confidently wrong + false refusals) would change against
refusing the whole band (negative is better).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from chatbot.answer.check import parse_answer
from chatbot.answer.meaning import meaning_probability
from chatbot.bot import Chatbot
from chatbot.config import Settings

LOWS = (0.25, 0.35, 0.45, 0.5)
STRICT = (0.5, 0.6, 0.7, 0.75, 0.8, 0.9)


def band_answers(run: Path, corpus: Path, low: float, high: float) -> list[dict]:
    """The run's answered records with low <= P < high, each with its sentences' meaning-check P(yes)."""
    settings = Settings.from_env().replace(corpus_dir=corpus, index_dir=run / "index")
    if not (run / "index").exists():  # a run on the default collection used the default index
        settings = Settings.from_env()
    bot = Chatbot(settings)
    out = []
    for record in map(json.loads, (run / "results.jsonl").read_text().splitlines()):
        p = record["answerable_probability"]
        if record["refused"] or p is None or not low <= p < high:
            continue
        question = record["standalone_question"]
        _, messages = bot.pipeline.prompt(question, bot.search(question))
        meaning = [meaning_probability(bot.generator, messages, s.text) for s in parse_answer(record["answer"])]
        out.append({"p": p, "meaning": meaning, "answerable": record["answerable"],
                    "wrong": bool(record["metrics"].get("confidently_wrong"))})
    return out


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
