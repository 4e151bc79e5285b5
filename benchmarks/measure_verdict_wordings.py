"""Would the verdict read answerability better from more than one question to the model, or from the
model's own first move in the answer prompt? Measured on SQuAD 2.0 calibration questions outside the
held-out eval sample (runs/squad-heldout.jsonl), offline:

    .venv/bin/python benchmarks/measure_verdict_wordings.py --sample 220

Each question is asked of an index of the calibration articles as the engine does (top 5, excerpts of
1,200 characters). For each wording below the model's P(yes) is read after the same sources (llama.cpp
keeps them cached, so each wording costs only its own line), and P(the answer starts with the refusal
sentence's first token) after the answer prompt itself. Cached in runs/verdict-wordings.jsonl. Prints
each signal's AUC (answerable against not) and the 5-fold cross-validated AUC of the logistic head over
the question features (answerability.py) plus each set of signals, mean of 10 splits.
"""
from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from train_answerability import calibration_engine

from chatbot.answer.answerability import VERIFY_QUESTION, question_features
from chatbot.answer.excerpt import excerpt_sources
from chatbot.answer.prompt import answer_messages, number_sources
from chatbot.config import REFUSAL

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "runs/verdict-wordings.jsonl"
# (wording, +1 when "yes" means answerable, -1 when it means not)
WORDINGS = {
    "today": (VERIFY_QUESTION, 1),
    "answerable_alone": ("Can this question be answered from the sources alone? Reply with yes or no.", 1),
    "missing": ("Is the answer to this question missing from the sources? Reply with yes or no.", -1),
    "exactly": ("Does one of the sources say exactly what the question asks about? Reply with yes or no.", 1),
    "not_said": ("Does the question ask about something the sources do not say? Reply with yes or no.", -1),
}
QUESTION_FEATURES = ("question_cover_sentence", "question_cover_passages", "terms_missing", "similarity")


def score(sample: list[dict], corpus: Path) -> list[dict]:
    done = {r["id"]: r for r in map(json.loads, CACHE.read_text().splitlines())} if CACHE.exists() else {}
    todo = [r for r in sample if r["id"] not in done]
    if todo:
        with calibration_engine(corpus) as (settings, retriever, judge, generator):
            llm = generator._llm  # the llama.cpp engine: the refusal's first token is read from its logits
            refusal_token = llm.tokenize(REFUSAL.encode("utf-8"), add_bos=False)[0]
            with CACHE.open("a") as out:
                for i, r in enumerate(todo, 1):
                    retrieved = retriever.search(r["question"], settings.retrieval.top_k)
                    sources = excerpt_sources(number_sources(retrieved), r["question"], judge, settings.answer.excerpt_chars)
                    messages = answer_messages(r["question"], sources)
                    *head, user = messages
                    body = user["content"].rsplit("\n", 1)[0]
                    p = {k: generator.yes_probability([*head, {"role": "user", "content": f"{body}\n{q}"}])
                         for k, (q, _) in WORDINGS.items()}
                    generator.yes_probability(messages)  # evaluates the answer prompt; its next-token logits follow
                    logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).astype(np.float64)
                    p["refusal_start"] = float(np.exp(logits[refusal_token] - logits.max()) / np.exp(logits - logits.max()).sum())
                    features, _, _ = question_features(judge, r["question"], [x.chunk.text for x in retrieved], 0.5)
                    done[r["id"]] = {"id": r["id"], "answerable": r["answerable"], "p": p,
                                     "features": {f: features[f] for f in QUESTION_FEATURES}}
                    out.write(json.dumps(done[r["id"]]) + "\n")
                    out.flush()
                    print(f"  {i}/{len(todo)}", flush=True)
    return [done[r["id"]] for r in sample if r["id"] in done]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calibration", type=Path, default=ROOT.parent / "shared/external/squad2-dev/calibration.jsonl")
    parser.add_argument("--held-out", type=Path, default=ROOT / "runs/squad-heldout.jsonl")
    parser.add_argument("--sample", type=int, default=220)
    args = parser.parse_args()
    if not args.held_out.exists():
        parser.error(f"{args.held_out} is missing: write it first with benchmarks/squad_sample.py")
    held_out = {json.loads(line)["id"] for line in args.held_out.read_text().splitlines()}
    rows = [r for r in map(json.loads, args.calibration.read_text().splitlines()) if r["id"] not in held_out]
    records = score(random.Random(7).sample(rows, args.sample), args.calibration.parent / "corpus")
    y = np.array([r["answerable"] for r in records])
    signs = {k: s for k, (_, s) in WORDINGS.items()} | {"refusal_start": -1}
    logit = {k: np.array([math.log(min(max(r["p"][k], 1e-4), 1 - 1e-4) / (1 - min(max(r["p"][k], 1e-4), 1 - 1e-4)))
                          for r in records]) for k in signs}
    print(f"{len(records)} questions, {int(y.sum())} answerable\n\nsignal alone: AUC")
    for k, s in signs.items():
        print(f"  {k:18s} {roc_auc_score(y, s * logit[k]):.3f}")
    print("\nlogistic head over the question features and: 5-fold cross-validated AUC (mean ± sd of 10 splits)")
    for extra in ([], ["today"], ["today", "refusal_start"], ["today", "answerable_alone"], ["today", "missing"],
                  list(WORDINGS), [*WORDINGS, "refusal_start"]):
        x = np.array([[r["features"][f] for f in QUESTION_FEATURES] for r in records])
        x = np.column_stack([x, *(logit[k] for k in extra)]) if extra else x
        aucs = [roc_auc_score(y, cross_val_predict(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), x, y,
                                                   cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                                                   method="predict_proba")[:, 1]) for seed in range(10)]
        print(f"  {', '.join(extra) or '(features only)':60s} {np.mean(aucs):.3f} ± {np.std(aucs):.3f}")


if __name__ == "__main__":
    main()
