"""Does a linear probe on the model's last hidden state read answerability better than its yes/no?

    .venv/bin/python benchmarks/measure_hidden_probe.py      # ~30 min the first time (one prompt per question)
    .venv/bin/python benchmarks/measure_hidden_probe.py --runs runs/nx-t0-project:corpus \
        runs/nx-t0-squad:$S/corpus runs/nx-t0-heldout:$S/corpus     # S=../shared/external/squad2-dev

The verdict today reads one number from the model, P("yes") to "Do the sources state the answer to
this question?". The hidden state it reads that from (1,536 numbers at the question's last token)
may hold more. For the calibration questions of the answerability head's own LLM sample
(`train_answerability.py --llm-sample 800`, less the 200 of runs/squad-heldout.jsonl) this reads,
after the verdict's prompt exactly as the engine builds it, P(yes) and the hidden state (the last token
evaluated again with embeddings on; cached in runs/probe.jsonl). Probes are fitted on the questions of
four articles and scored on the two held out (as the head is), beside the committed head on the same
questions. With --runs, the one signal that scored above the head here, P(yes) alone, is swept end to end
on gate-open eval runs (each answered record's verdict prompt read again, as in measure_meaning_check.py;
cached in runs/pyes/): the summed cost (2 x confidently wrong + false refusals) at each P(yes) threshold,
beside the committed head at its threshold.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import llama_cpp
import numpy as np
from measure_meaning_check import score_run
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from train_answerability import HELD_OUT, _features, calibration_engine

from chatbot.answer.answerability import AnswerabilityJudge, verify_messages, weights_file
from chatbot.answer.excerpt import excerpt_sources
from chatbot.answer.prompt import answer_messages, number_sources
from chatbot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "runs/probe.jsonl"


def yes_and_hidden(generator, messages: list[dict]) -> tuple[float, list[float]]:
    """P(yes) after the verdict prompt, and the model's last hidden state at its last token."""
    p = generator.yes_probability(messages)
    llm = generator._llm  # the llama.cpp engine: hidden states need its context
    llm.n_tokens -= 1  # the last token again, this time with its hidden state
    llama_cpp.llama_set_embeddings(llm._ctx.ctx, True)
    try:
        generator.yes_probability(messages)
        hidden = np.ctypeslib.as_array(llama_cpp.llama_get_embeddings_ith(llm._ctx.ctx, -1), shape=(llm.n_embd(),))
        return p, [round(float(x), 4) for x in hidden]
    finally:
        llama_cpp.llama_set_embeddings(llm._ctx.ctx, False)


def collect(rows: list[dict], corpus: Path) -> dict[str, dict]:
    done = {r["id"]: r for r in map(json.loads, CACHE.read_text().splitlines())} if CACHE.exists() else {}
    todo = [r for r in rows if r["id"] not in done]
    if todo:
        with calibration_engine(corpus) as (settings, retriever, judge, generator), CACHE.open("a") as out:
            for i, r in enumerate(todo, 1):
                sources = excerpt_sources(number_sources(retriever.search(r["question"], settings.retrieval.top_k)),
                                          r["question"], judge, settings.answer.excerpt_chars)
                p, hidden = yes_and_hidden(generator, verify_messages(answer_messages(r["question"], sources)))
                done[r["id"]] = {"id": r["id"], "answerable": r["answerable"], "article": r["article"], "p": p, "h": hidden}
                out.write(json.dumps(done[r["id"]]) + "\n")
                out.flush()
                print(f"  {i}/{len(todo)}", flush=True)
    return done


def probes() -> dict:
    """Candidate probes; each regularisation strength is chosen by 5-fold cross-validation on the training articles."""
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    logistic = LogisticRegression(max_iter=5000)
    return {
        "logistic on the hidden state": GridSearchCV(make_pipeline(StandardScaler(), logistic),
                                                     {"logisticregression__C": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]}, cv=cv, scoring="roc_auc"),
        "logistic on its first principal components": GridSearchCV(make_pipeline(StandardScaler(), PCA(random_state=0), logistic),
                                                                    {"pca__n_components": [4, 8, 16, 32]}, cv=cv, scoring="roc_auc"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calibration", type=Path, default=ROOT.parent / "shared/external/squad2-dev/calibration.jsonl")
    parser.add_argument("--held-out", type=Path, default=ROOT / "runs/squad-heldout.jsonl")
    parser.add_argument("--sample", type=int, default=800, help="as train_answerability.py --llm-sample")
    parser.add_argument("--runs", nargs="*", default=[], help="RUN_DIR:CORPUS_DIR of gate-open eval runs")
    args = parser.parse_args()
    if not args.held_out.exists():
        parser.error(f"{args.held_out} is missing: write it first with benchmarks/squad_sample.py")
    eval_ids = {json.loads(line)["id"] for line in args.held_out.read_text().splitlines()}
    rows = [json.loads(line) for line in args.calibration.read_text().splitlines() if line.strip()]
    sample = [r for r in random.Random(0).sample(rows, min(args.sample, len(rows))) if r["id"] not in eval_ids]
    data = collect(sample, args.calibration.parent / "corpus")
    train = [data[r["id"]] for r in sample if r["article"] not in HELD_OUT]
    test = [data[r["id"]] for r in sample if r["article"] in HELD_OUT]
    x_train, y_train = np.array([r["h"] for r in train]), np.array([r["answerable"] for r in train])
    x_test, y_test = np.array([r["h"] for r in test]), np.array([r["answerable"] for r in test])
    print(f"train {len(train)} questions, held out {len(test)} ({', '.join(HELD_OUT)})\nheld-out AUC:")
    print(f"  the model's P(yes) alone{'':24s} {roc_auc_score(y_test, [r['p'] for r in test]):.3f}")
    head = _committed_head_probabilities(test)
    if head:
        print(f"  the committed head (features + P(yes)){'':10s} {roc_auc_score(y_test, head):.3f}")
    for name, probe in probes().items():
        probe.fit(x_train, y_train)
        print(f"  {name:48s} {roc_auc_score(y_test, probe.predict_proba(x_test)[:, 1]):.3f}  ({probe.best_params_})")
    if args.runs:
        _sweep_yes_alone(args.runs)


def _committed_head_probabilities(records: list[dict]) -> list[float] | None:
    """The committed excerpt head on the features train_answerability.py cached, when all are there."""
    features = _features([], Path(), ROOT / "runs/answerability/features-excerpt1200.jsonl", 0, cached_only=True)
    if not all("llm_yes" in features.get(r["id"], {}) for r in records):
        return None
    head = AnswerabilityJudge(None, 0.6, weights_file(1200))
    return [head.probability(features[r["id"]]) for r in records]


def _sweep_yes_alone(specs: list[str]) -> None:
    def score(bot, messages, record):
        return {"p": bot.generator.yes_probability(verify_messages(messages))}

    runs = {Path(run).name: score_run(Path(run), Path(corpus), score, ROOT / "runs/pyes", "pyes")
            for run, corpus in (spec.split(":") for spec in specs)}
    gate = Settings().answer.answerable_threshold

    def cost(records: list[dict], threshold: float, p_of) -> tuple[int, int]:
        """(confidently wrong, false refusals) when a question whose p_of(record) < threshold is refused."""
        wrong = refused = 0
        for r in records:
            p = p_of(r)
            if r["refused"] or (p is not None and p < threshold):
                refused += r["answerable"]
            else:
                wrong += bool(r["metrics"].get("confidently_wrong"))
        return wrong, refused

    def line(label: str, threshold: float, p_of) -> str:
        parts = {name: cost(records, threshold, p_of) for name, records in runs.items()}
        return (f"{label} {threshold:.2f}: cost {sum(2 * w + f for w, f in parts.values()):>4}   "
                + "   ".join(f"{name} wrong {w} false refusals {f}" for name, (w, f) in parts.items()))

    print("\nend to end, summed over the runs")
    print(line("the committed head at", gate, lambda r: r["answerable_probability"]))
    for t in [0.5, 0.6, 0.65, 0.7, 0.72, 0.74, 0.76, 0.78, 0.8, 0.84]:
        print(line("P(yes) alone at      ", t, lambda r: (r["pyes"] or {}).get("p")))


if __name__ == "__main__":
    main()
