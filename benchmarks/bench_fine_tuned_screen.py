"""Would a fine-tuned MiniLM find injected instructions of batches it never saw better than the shipped screen's
logistic regression over frozen vectors? (issue 27; not adopted, docs/results/2026-12-04-fine-tuned-minilm.md and
2026-12-04-fine-tuned-screen-with-rules.md)

    .venv/bin/python -m benchmarks.bench_fine_tuned_screen [--first-test 26] [--show] [--with-rules]
        [--top-layers N | --lora-rank R] [--learning-rate X]     # about 8 minutes here; 13-15 with --with-rules

A time split, as the batches were written: both classifiers fit on the English sentences of every batch of
benchmarks/data/injections.jsonl before `held_out_<first-test>` and BIPIA's training attacks, against the clean
sentences the shipped screen fits on (half the calibration articles, the installed packages' descriptions), and
score every later batch (all languages). Three cuts: one set on the other calibration half (1 in 1,000, as the shipped
screen's is); one set at 1 in 200 (the issue's bar) on a mix of genres (that half, the documents fixtures, the everyday
sentences, the mixed collection), leaving the bundled collection, squad2-dev and the near misses unseen; and, to
compare rankings alone, the cut that flags 1 in 200 of all clean sentences together.
A text counts when any of its sentences is flagged (the order is withheld) and when every one is.

--with-rules: what a reader would get with the fine-tuned classifier in the shipped screen's place, at the genre-mix
cut: each later text planted in an article and chunked with the rules, detected when 90 % of it is withheld
(bench_detector's measure), beside the rules alone and the rules with the shipped screen (fitted on every batch, so
favoured); and the sentences the rules and the classifier together withhold in the bundled collection, squad2-dev,
the documents fixtures and the mixed collection, read as chunks (headings and list numbers included); with --show,
those sentences (of the unrestricted classifier).
--top-layers N trains only the last N of MiniLM's six layers and the head; --lora-rank R a low-rank update of every
layer and the head: each a file small enough to ship.
"""
from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.bench_detector import attack_texts, detection, false_flags, package_documentation, sentences_of
from benchmarks.fine_tune import Example, fine_tuned, scores
from chatbot.answer.vectors import SentenceVectors
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
    parser.add_argument("--with-rules", action="store_true", help="the rules with the fine-tuned classifier, through the chunker")
    small = parser.add_mutually_exclusive_group()  # default: every layer fine-tuned
    small.add_argument("--top-layers", type=int, help="train only the last N layers and the head")
    small.add_argument("--lora-rank", type=int, help="train a low-rank update of every layer and the head")
    parser.add_argument("--learning-rate", type=float, default=3e-5)
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
                                  batch=32, max_length=96, top_layers=args.top_layers,
                                  learning_rate=args.learning_rate, lora_rank=args.lora_rank)
    classifiers = {"regression over frozen vectors (shipped kind)": lambda ss: regression.decision_function(embedder.embed(ss)),
                   "fine-tuned MiniLM": lambda ss: scores(tokenizer, model, [Example(s, 0.0) for s in ss], 96)}
    genre_cuts: dict[str, float] = {}
    for name, score in classifiers.items():
        clean = {group: score(sentences) for group, sentences in unseen.items()}
        text_scores = [score(sentences_of(t["text"])) for t in later]
        honest = float(np.quantile(clean["calibration, other half"], 0.999))
        genres = np.concatenate([clean[g] for g in GENRE_MIX])
        mixed = genre_cuts[name] = float(np.quantile(genres, 1 - 1 / 200))
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
    if args.with_rules:
        fine_tuned_cut = genre_cuts["fine-tuned MiniLM"]
        with_rules(later, lambda ss: classifiers["fine-tuned MiniLM"](ss) > fine_tuned_cut, embedder, args.show)


def with_rules(later: list[dict], flags_of, embedder, show: bool) -> None:
    """Detection of the later texts and clean text withheld: rules alone, with the shipped screen, with `flags_of`,
    and with `flags_of` on sentences of three words or more only (what it was fitted on: a bare "1." or a heading
    is outside what it learned)."""
    from benchmarks.bench_furniture import fixtures
    from benchmarks.bench_injection import SHARED

    def fitted_lengths(sentences: list[str]) -> np.ndarray:
        return flags_of(sentences) & np.array([len(s.split()) >= 3 for s in sentences], dtype=bool)

    vectors = SentenceVectors(embedder)
    classifiers = {"rules + fine-tuned": flags_of, "rules + fine-tuned, 3 words or more": fitted_lengths}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        runs = {"rules": detection(later, tmp), "rules + shipped screen": detection(later, tmp, vectors),
                **{name: detection(later, tmp, flags_of=f) for name, f in classifiers.items()}}
        print("\n| later texts, planted and chunked | " + " | ".join(runs) + " |\n|---|" + "---|" * len(runs))
        for split in [*dict.fromkeys(t["split"] for t in later), "all"]:
            idx = [i for i, t in enumerate(later) if split in ("all", t["split"])]
            print(f"| {split} ({len(idx)}) | " + " | ".join(
                f"{sum(rows[i]['detected'] for i in idx)} (order {sum(rows[i]['order_withheld'] for i in idx)})"
                for rows in runs.values()) + " |")
        (tmp / "fixtures").mkdir()
        folders = {"bundled collection": [ROOT / "corpus"], "squad2-dev articles": [SHARED / "squad2-dev/corpus"],
                   "documents fixtures": [fixtures(tmp / "fixtures")], "mixed collection": [ROOT / "benchmarks/data/mixed/corpus"]}
        print("\n| clean text as chunks, withheld | sentences | " + " | ".join(classifiers) + " |\n|---|---|---|---|")
        for name, paths in folders.items():
            counts = [false_flags(paths, None, f) for f in classifiers.values()]
            print(f"| {name} | {counts[0][0]} | " + " | ".join(str(flagged) for _, flagged, _ in counts) + " |")
            if show:
                print("\n".join(f"    {e}" for e in counts[0][2]))


if __name__ == "__main__":
    main()
