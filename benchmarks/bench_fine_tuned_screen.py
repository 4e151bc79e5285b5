"""Would a fine-tuned MiniLM find injected instructions of batches it never saw better than the shipped screen's
logistic regression over frozen vectors? (issue 27; not adopted, docs/results/2026-12-04-fine-tuned-minilm.md)

    .venv/bin/python -m benchmarks.bench_fine_tuned_screen [--first-test 26] [--show]    # about 8 minutes here

A time split, as the batches were written: both classifiers fit on the English sentences of every batch of
benchmarks/data/injections.jsonl before `held_out_<first-test>` and BIPIA's training attacks, against the clean
sentences the shipped screen fits on (half the calibration articles, the installed packages' descriptions), and
score every later batch (all languages). Three cuts: one set on the other calibration half (1 in 1,000, as the shipped
screen's is); one set at 1 in 200 (the issue's bar) on a mix of genres (that half, the documents fixtures, the everyday
sentences, the mixed collection), leaving the bundled collection, squad2-dev and the near misses unseen; and, to
compare rankings alone, the cut that flags 1 in 200 of all clean sentences together.
A text counts when any of its sentences is flagged (the order is withheld) and when every one is.
"""
from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.bench_detector import attack_texts, package_documentation, sentences_of
from benchmarks.fine_tune import Example, fine_tuned, scores
from chatbot.config import Settings
from chatbot.index.embeddings import make_embedder
from tools.fit_instruction_screen import clean_groups, clean_sentences, fitted

ROOT = Path(__file__).resolve().parent.parent
EVERYDAY = ROOT / "benchmarks" / "data" / "everyday_sentences.txt"
NEGATIVES_PER_POSITIVE = 4
# Clean sets that place the second cut; the others stay unseen by fitting and cut alike.
GENRE_MIX = ("calibration, other half", "documents fixtures", "everyday sentences", "mixed collection")


def clean_sets(tmp: Path) -> tuple[list[str], dict[str, list[str]]]:
    """(clean sentences to fit on, {name: clean sentences never fitted on}): the shipped screen's, and two more groups."""
    calibration, unseen = clean_groups(tmp)
    everyday = [line.strip() for line in EVERYDAY.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    groups = {"calibration, other half": unseen.pop("calibration, other half")} | unseen
    return [s for _, s in calibration] + [s for _, s in package_documentation()], {
        **{name: [s for _, s in group] for name, group in groups.items()}, "everyday sentences": everyday,
        "mixed collection": [s for _, s in clean_sentences(ROOT / "benchmarks/data/mixed/corpus")]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--first-test", type=int, default=26, help="the first held_out_N batch scored, not fitted")
    parser.add_argument("--show", action="store_true", help="print the clean sentences each classifier flags most")
    args = parser.parse_args()
    texts = attack_texts()
    tested = {f"held_out_{n}" for n in range(args.first_test, 100)}
    later = [t for t in texts if t["split"] in tested]
    positives = [s for t in texts if t["lang"] == "en" and t["split"] not in tested for s in sentences_of(t["text"])]
    with tempfile.TemporaryDirectory() as tmp:
        negatives, unseen = clean_sets(Path(tmp))
    print(f"fit on {len(positives)} instruction and {len(negatives)} clean sentences; {len(later)} later texts scored")

    embedder = make_embedder(Settings())
    regression, _ = fitted(embedder.embed(negatives), embedder.embed(positives))
    sample = random.Random(0).sample(negatives, min(len(negatives), NEGATIVES_PER_POSITIVE * len(positives)))
    tokenizer, model = fine_tuned([Example(s, 1.0) for s in positives] + [Example(s, 0.0) for s in sample],
                                  batch=32, max_length=96)
    classifiers = {"regression over frozen vectors (shipped kind)": lambda ss: regression.decision_function(embedder.embed(ss)),
                   "fine-tuned MiniLM": lambda ss: scores(tokenizer, model, [Example(s, 0.0) for s in ss], 96)}
    for name, score in classifiers.items():
        clean = {group: score(sentences) for group, sentences in unseen.items()}
        text_scores = [score(sentences_of(t["text"])) for t in later]
        honest = float(np.quantile(clean["calibration, other half"], 0.999))
        genres = np.concatenate([clean[g] for g in GENRE_MIX])
        mixed = float(np.quantile(genres, 1 - 1 / 200))
        pooled = float(np.quantile(np.concatenate(list(clean.values())), 1 - 1 / 200))
        print(f"\n{name}")
        for label, cut in (("cut 1 in 1,000 on the other calibration half", honest),
                           ("cut 1 in 200 on the genre mix", mixed), ("cut 1 in 200 of all clean", pooled)):
            flags = "; ".join(f"{group} {int((s > cut).sum())}/{len(s)}" for group, s in clean.items())
            any_hit = sum(bool((s > cut).any()) for s in text_scores)
            every = sum(bool((s > cut).all()) for s in text_scores)
            splits = ", ".join(f"{split} {sum(bool((s > cut).any()) for t, s in zip(later, text_scores) if t['split'] == split)}"
                               for split in dict.fromkeys(t["split"] for t in later))
            print(f"  {label} ({cut:.2f}): later texts, any sentence {any_hit}/{len(later)} ({splits}), every sentence "
                  f"{every}/{len(later)}\n    clean flagged: {flags}")
        if args.show:
            ranked = sorted(zip(clean["bundled collection"], unseen["bundled collection"]), reverse=True)[:10]
            print("\n".join(f"    {value:.2f} {sentence[:110]}" for value, sentence in ranked))


if __name__ == "__main__":
    main()
