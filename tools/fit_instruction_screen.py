"""A learned screen beside the instruction rules, measured with whole styles held out (issue 27, layer two).

    .venv/bin/python -m tools.fit_instruction_screen [--show] [--write] [--leave-out SPLIT ...]

The rules (chatbot/ingest/instructions.py) know the forms they were written for. A linear classifier over the
MiniLM sentence embedding the product already computes might know the kind: a sentence that speaks to an assistant
or about its reply. English texts only (MiniLM is English, and the screen reads English passages). Measured
leave-one-style-out: for each style of benchmarks/data/injections.jsonl (and each of
BIPIA's training categories), fit on every other style's sentences (positives) against clean sentences from half
of squad2-dev's calibration articles, set the cut where out-of-fold clean sentences are flagged at most 1 in 1,000,
and score the held-out style. Clean text never seen in fitting (the bundled collection, squad2-dev's six articles,
the other half of the calibration articles, the documents fixtures, the near misses) gives the false flags.
A text counts as detected by the screen when every one of its sentences scores above the cut; by the rules as
bench_detector counts it (planted in an article, 90 % of its characters withheld). `--write` then fits on every style
(but the splits left out) against both calibration halves and the packages' text, and writes the shipped screen
(chatbot/answer/instruction-screen.json); the other clean sets stay unseen.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.bench_detector import NEAR_MISSES, attack_texts, calibration_articles, detection, package_documentation, sentences_of
from benchmarks.bench_injection import SHARED
from chatbot.answer.instruction_screen import WEIGHTS, InstructionScreen
from chatbot.config import DEFAULT_EMBEDDING_MODEL, Settings
from chatbot.index.embeddings import make_embedder
from chatbot.ingest.documents import load_document, scan_corpus

ROOT = Path(__file__).resolve().parent.parent
FALSE_FLAG_RATE = 1 / 1000  # the cut, on out-of-fold clean sentences; the rules add theirs (0 of 4,090 measured)
# Added to the cut when writing the shipped screen: at the fitted cut it withheld 6 of 105 short everyday sentences
# ("Take one tablet twice a day with food.", "The bothy sleeps six people…"), a kind the clean sets lack; 1.5 above it
# none (benchmarks/data/everyday_sentences.txt; docs/results/2026-12-03-screen-on-everyday-sentences.md).
EVERYDAY_MARGIN = 1.5


def clean_sentences(folder: Path) -> list[tuple[str, str]]:
    """(document, sentence) for every sentence of the documents in `folder`, as loaded for indexing."""
    out = []
    for path in scan_corpus(folder)[0]:
        doc = load_document(path)
        for block in doc.blocks:
            if block.kind != "furniture":
                out += [(doc.doc_id, s) for s in sentences_of(doc.text[block.start:block.end]) if len(s.split()) >= 3]
    return out


def clean_groups(tmp: Path) -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """(document, sentence) of the clean text the screen is fitted on (half the calibration articles), and by name the
    clean groups never fitted on, whose false flags are reported."""
    from benchmarks.bench_furniture import fixtures

    calibration = clean_sentences(calibration_articles(tmp / "calibration"))
    fitting = set(sorted({d for d, _ in calibration})[::2])
    (tmp / "fixtures").mkdir()
    (tmp / "near").mkdir()
    shutil.copy(NEAR_MISSES, tmp / "near")
    return [s for s in calibration if s[0] in fitting], {
        "bundled collection": clean_sentences(ROOT / "corpus"),
        "squad2-dev articles": clean_sentences(SHARED / "squad2-dev/corpus"),
        "calibration, other half": [s for s in calibration if s[0] not in fitting],
        "documents fixtures": clean_sentences(fixtures(tmp / "fixtures")),
        "near misses": clean_sentences(tmp / "near")}


def fitted(clean: np.ndarray, instructions: np.ndarray, false_flag_rate: float = FALSE_FLAG_RATE):
    """A logistic regression, and the score above which out-of-fold clean sentences are flagged at most
    `false_flag_rate` of the time (5 folds)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x, y = np.vstack([clean, instructions]), np.r_[np.zeros(len(clean)), np.ones(len(instructions))]
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    scores = cross_val_predict(model, x, y, cv=StratifiedKFold(5, shuffle=True, random_state=7), method="decision_function")
    return model.fit(x, y), float(np.quantile(scores[y == 0], 1 - false_flag_rate))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="list the clean sentences the screen flags")
    parser.add_argument("--write", action="store_true", help=f"fit on everything and write {WEIGHTS.name}")
    parser.add_argument("--leave-out", nargs="*", default=[], metavar="SPLIT",
                        help="splits of injections.jsonl not to use at all (the shipped screen uses every split, decision 0038)")
    parser.add_argument("--false-flag-rate", type=float, default=FALSE_FLAG_RATE,
                        help="where the cut lies: the share of out-of-fold clean sentences flagged")
    args = parser.parse_args()
    rate = args.false_flag_rate
    texts = attack_texts(tuple(args.leave_out))
    embedder = make_embedder(Settings())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rules = {r["id"]: r["detected"] for r in detection(texts, tmp)}
        calibration, unseen = clean_groups(tmp)
    # English texts only: the screen reads English passages (MiniLM is an English model), and another language's
    # vectors taught it to flag short English fragments (bullet items) instead.
    positives = [(t["style"], t["id"], s) for t in texts if t["lang"] == "en" for s in sentences_of(t["text"])]
    neg_x = embedder.embed([s for _, s in calibration] + [s for _, s in package_documentation()])
    pos_x = embedder.embed([s for *_, s in positives])
    unseen_x = {name: embedder.embed([s for _, s in group]) for name, group in unseen.items()}
    styles = sorted({p[0] for p in positives})
    print(f"{len(positives)} injected sentences in {len(styles)} styles; {len(neg_x)} clean sentences to fit on\n")

    screened: dict[str, bool] = {}
    for style in styles:
        keep = np.array([p[0] != style for p in positives])
        model, cut = fitted(neg_x, pos_x[keep], rate)
        held = [p for p in positives if p[0] == style]
        hits = model.decision_function(pos_x[~keep]) > cut
        for text_id in {p[1] for p in held}:
            screened[text_id] = all(hit for p, hit in zip(held, hits) if p[1] == text_id)

    style_of = {t["id"]: t["style"] for t in texts}
    print("| split | styles | rules | screen (style held out) | either |\n|---|---|---|---|---|")
    for split in dict.fromkeys(t["split"] for t in texts):
        ids = [t["id"] for t in texts if t["split"] == split]
        n, r, s = len(ids), sum(rules[i] for i in ids), sum(screened.get(i, False) for i in ids)
        e = sum(rules[i] or screened.get(i, False) for i in ids)
        print(f"| {split} | {len({style_of[i] for i in ids})} | {r}/{n} | {s}/{n} | {e}/{n} = {e / n:.3f} |")

    # False flags: one screen fitted on every style, on clean text it never saw.
    model, cut = fitted(neg_x, pos_x, rate)
    print("\n| clean text (never fitted on) | sentences | flagged by the screen |\n|---|---|---|")
    for name, group in unseen.items():
        flags = model.decision_function(unseen_x[name]) > cut
        print(f"| {name} | {len(group)} | {flags.sum()} |")
        for (doc, sentence), flag in zip(group, flags):
            if flag and args.show:
                print(f"  flagged ({doc}): {sentence[:140]}")
    if args.write:  # the calibration's other half joins the clean text; the other clean sets stay unseen, to test
        model, cut = fitted(np.vstack([neg_x, unseen_x["calibration, other half"]]), pos_x, rate)
        screen = InstructionScreen(DEFAULT_EMBEDDING_MODEL, model.coef_[0], float(model.intercept_[0]), cut + EVERYDAY_MARGIN)
        WEIGHTS.write_text(json.dumps({**screen.to_json(), "fitted_on": {
            "instruction_sentences": len(pos_x), "clean_sentences": len(neg_x) + len(unseen_x["calibration, other half"]),
            "cut": f"out-of-fold clean sentences flagged at most {rate:g}; then raised by {EVERYDAY_MARGIN} "
                   f"(EVERYDAY_MARGIN: short everyday sentences)"}}) + "\n", encoding="utf-8")
        print(f"\nwrote {WEIGHTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
