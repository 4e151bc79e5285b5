"""The non-answer check against hand-labelled answer sentences: the word check (`adds_nothing`, no language model)
and, with --model, the model asked whether a sentence names what the question asks for.

    .venv/bin/python -m benchmarks.bench_non_answers [--show]
    .venv/bin/python -m benchmarks.bench_non_answers --model [--questions N] [--out runs/non-answers]   # about 7 s a question here

benchmarks/data/answer_sentences.jsonl holds sentences the system wrote (final answers, raw drafts and answers
sampled at temperature 0.7) for the development, held-out and squad2-dev questions, each labelled by hand:
`answer` (states what was asked, right or wrong), `partial` (new content, but not what was asked: related,
off-topic or a fragment), `non-answer` (names nothing the question did not: a restatement, or a sentence about the
sources or about "this" that gives no name, number, item, cause or step). Reported: the share of non-answers caught
(recall) and the share of answers and partials wrongly caught, by the word check alone and together with the
model's wordings of "the sources do not say" (`model_refused`), which end an answer as a refusal. tests/data/support_pairs.jsonl's `stated` pairs
(a sentence that states the answer) are reported too.

--model reads each question's prompt as the engine builds it (its collection indexed under --out) and asks each
wording in FORM_QUESTIONS about each sentence, the way the meaning check asks (the answer prompt with its
last line swapped, so llama.cpp reads only the new line); P(yes) is cached in --out/form.jsonl.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
from collections import Counter
from pathlib import Path

from chatbot.answer.refusals import adds_nothing, model_refused

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "benchmarks" / "data" / "answer_sentences.jsonl"
PAIRS = ROOT / "tests" / "data" / "support_pairs.jsonl"
SQUAD_CORPUS = ROOT.parent / "shared" / "external" / "squad2-dev" / "corpus"
LABELS = ("non-answer", "partial", "answer")
# Asked about each sentence after its question's prompt, as the meaning check asks (rejected: decision 0037).
FORM_QUESTIONS = (
    "Does the proposed answer name the specific thing the question asks for (a name, number, place, item, reason or "
    "step) instead of only repeating the question? Reply with yes or no.",
    "Does the proposed answer tell the reader something that the question did not already say? Reply with yes or no.",
)


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def report(rows: list[dict], caught, title: str, show: bool = False) -> None:
    hits, total = Counter(), Counter()
    for row in rows:
        hit = caught(row)
        hits[row["label"]] += hit
        total[row["label"]] += 1
        if show and hit != (row["label"] == "non-answer"):
            print(f"  {'caught' if hit else 'missed'} [{row['label']}] {row['question']} -> {row['sentence']}")
    cells = "  ".join(f"{label} {hits[label]}/{total[label]} ({hits[label] / max(total[label], 1):.3f})" for label in LABELS)
    print(f"{title:<34} caught: {cells}")


def _questions_in_order(rows: list[dict]) -> list[str]:
    """Questions with a labelled non-answer first, then the others in a fixed random order: a run stopped early
    has measured every non-answer and an unbiased sample of the rest."""
    questions = list(dict.fromkeys(r["question"] for r in rows))
    random.Random(0).shuffle(questions)
    with_non_answer = {r["question"] for r in rows if r["label"] == "non-answer"}
    return sorted(questions, key=lambda q: q not in with_non_answer)


def form_probabilities(rows: list[dict], out: Path, limit: int = 0) -> dict[tuple[str, str, str], float]:
    """P(yes) of every wording for every labelled sentence, asked after the prompt its question gets."""
    from chatbot.answer.meaning import meaning_messages
    from chatbot.bot import Chatbot
    from chatbot.config import Settings

    cache = out / "form.jsonl"
    out.mkdir(parents=True, exist_ok=True)
    known = {(r["question"], r["sentence"], r["ask"]): r["p"] for r in read(cache)} if cache.exists() else {}
    questions = _questions_in_order(rows)[:limit or None]
    bots: dict[str, Chatbot] = {}
    with cache.open("a", encoding="utf-8") as sink:
        for question in questions:
            todo = [(r, ask) for r in rows if r["question"] == question for ask in FORM_QUESTIONS
                    if (question, r["sentence"], ask) not in known]
            if not todo:
                continue
            collection = "development" if todo[0][0]["set"] == "development" else "squad2-dev"
            if collection not in bots:
                settings = Settings.from_env()
                if collection != "development":
                    settings = settings.replace(corpus_dir=SQUAD_CORPUS, index_dir=out / "index-squad2-dev")
                bots[collection] = Chatbot.up_to_date(settings)
            bot = bots[collection]
            messages = bot.prompt(question).messages
            for row, ask in todo:
                p = bot.generator.yes_probability(meaning_messages(messages, row["sentence"], ask))
                known[(question, row["sentence"], ask)] = p
                sink.write(json.dumps({"question": question, "sentence": row["sentence"], "ask": ask, "p": p}) + "\n")
            sink.flush()
            print(f"  {len(todo)} asked: {question}", flush=True)
    return known


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list every sentence a check gets wrong")
    parser.add_argument("--model", action="store_true", help="also ask the language model (see above)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "non-answers")
    parser.add_argument("--questions", type=int, default=0, help="with --model: only this many questions (0: all)")
    args = parser.parse_args()

    rows = read(LABELLED)
    for batch in sorted({r.get("batch", "") for r in rows}):
        report([r for r in rows if r.get("batch", "") == batch], lambda r: adds_nothing(r["sentence"], r["question"]),
               f"words, batch {batch or 'first'}")
    report(rows, lambda r: adds_nothing(r["sentence"], r["question"]), "words, all", args.show)
    # What a reader sees: a sentence in the model's words for "the sources do not say" ends the answer as a refusal.
    report(rows, lambda r: adds_nothing(r["sentence"], r["question"]) or model_refused(r["sentence"]),
           "words or refusal wording, all")
    stated = [p for p in read(PAIRS) if p.get("kind") == "stated"]
    wrong = [p for p in stated if adds_nothing(p["sentence"], p["question"])]
    print(f"support_pairs stated: wrongly caught {len(wrong)}/{len(stated)}")
    if args.show:
        for pair in wrong:
            print(f"  caught [stated] {pair['question']} -> {pair['sentence']}")

    if args.model:
        p = form_probabilities(rows, args.out, args.questions)
        rows = [r for r in rows if all((r["question"], r["sentence"], ask) in p for ask in FORM_QUESTIONS)]
        print(f"\nmodel measured on {len(rows)} sentences of {len({r['question'] for r in rows})} questions")
        for ask in FORM_QUESTIONS:
            print(f"\nmodel: {ask}")
            yes = {label: [p[(r["question"], r["sentence"], ask)] for r in rows if r["label"] == label] for label in LABELS}
            ranked = [float(a > n) + 0.5 * float(a == n) for a in yes["answer"] for n in yes["non-answer"]]
            print("  median P(yes): " + ", ".join(f"{label} {statistics.median(v):.3f}" for label, v in yes.items() if v)
                  + f"; AUC answers over non-answers {sum(ranked) / max(len(ranked), 1):.3f}")
            for cut in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5):
                report(rows, lambda r, a=ask, c=cut: p[(r["question"], r["sentence"], a)] < c, f"  P(yes) < {cut}")
                report(rows, lambda r, a=ask, c=cut: adds_nothing(r["sentence"], r["question"]) or p[(r["question"], r["sentence"], a)] < c,
                       f"  words or P(yes) < {cut}")


if __name__ == "__main__":
    main()
