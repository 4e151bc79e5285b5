"""Score the support judge on the hand-labelled pairs and show accuracy at each threshold.

Run: .venv/bin/python -m benchmarks.calibrate_support_judge [--model]
Each pair is a question, an answer sentence and its source passage, labelled by reading: supported when
the passage states the sentence (in its words or others) and the sentence answers the question. Kinds:
stated / invented (the first 48), paraphrase, non_answer, word_salad. With --model, the language model's
meaning check (P(yes) that the sentence answers the question correctly by the source) is scored too,
and the pairs where it and the word/MiniLM judge disagree are listed.
The chosen thresholds are Settings.citation_min_support and Settings.meaning_min_yes (README, "Design choices").
"""
import argparse
import json
from pathlib import Path

from chatbot.answer.check import SupportJudge
from chatbot.answer.meaning import meaning_messages
from chatbot.answer.reading import passage_prompt
from chatbot.answer.vectors import SentenceVectors
from chatbot.config import Settings
from chatbot.engines import load_generator
from chatbot.index.embeddings import Embedder

PAIRS = Path(__file__).parent.parent / "tests/data/support_pairs.jsonl"


def table(name: str, scored: list[tuple[float, bool]], thresholds: list[float], current: float | None) -> None:
    print(f"\n{name}\nthreshold  accuracy  false-accept  false-reject")
    for t in thresholds:
        fa = sum(s >= t and not lab for s, lab in scored)
        fr = sum(s < t and lab for s, lab in scored)
        print(f"{t:9.2f}  {1 - (fa + fr) / len(scored):8.3f}  {fa:12d}  {fr:12d}" + ("   <- current" if t == current else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="store_true", help="also score the language model's meaning check (slow)")
    args = parser.parse_args()
    pairs = [json.loads(line) for line in PAIRS.read_text().splitlines()]
    settings = Settings()
    judge = SupportJudge(SentenceVectors(Embedder(settings.embedding_model)), settings.answer.citation_min_support)
    words = [judge.judge(p["sentence"], p["passage"]).score for p in pairs]
    meaning = [None] * len(pairs)
    if args.model:
        generator = load_generator(settings)
        meaning = [generator.yes_probability(meaning_messages(passage_prompt(p["question"], p["passage"]).messages, p["sentence"])) for p in pairs]
    for w, m, p in sorted(zip(words, meaning, pairs), key=lambda x: x[0]):
        print(f"{w:.3f} {'' if m is None else f'{m:.3f} '}{'SUPPORTED  ' if p['supported'] else 'unsupported'} "
              f"{p['kind']:>10}  {p['sentence']}")
    table("words + MiniLM", list(zip(words, (p["supported"] for p in pairs))), [x / 100 for x in range(30, 76, 5)],
          settings.answer.citation_min_support)
    if args.model:
        labels = [p["supported"] for p in pairs]
        table("meaning check (model)", list(zip(meaning, labels)), [x / 20 for x in range(4, 19)], settings.answer.meaning_min_yes)
        both = [m if w >= settings.answer.citation_min_support else 0.0 for w, m in zip(words, meaning)]
        table("both (words + MiniLM pass, then the model)", list(zip(both, labels)), [x / 20 for x in range(4, 19)],
              settings.answer.meaning_min_yes)
        print("\nwhere the two disagree (at the current thresholds):")
        for w, m, p in zip(words, meaning, pairs):
            if (w >= settings.answer.citation_min_support) != (m >= settings.answer.meaning_min_yes):
                print(f"  words {w:.2f} model {m:.2f} label {p['supported']} {p['kind']}: {p['question']} -> {p['sentence']}")


if __name__ == "__main__":
    main()
