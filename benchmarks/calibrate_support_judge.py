"""Score the support judge on the hand-labelled pairs and show accuracy at each threshold.

Run: .venv/bin/python benchmarks/calibrate_support_judge.py
The chosen threshold is Settings.support_threshold (see README, "Design choices").
"""
import json
from pathlib import Path

from chatbot.answer.check import SupportJudge
from chatbot.config import Settings
from chatbot.index.embeddings import Embedder

pairs = [json.loads(line) for line in (Path(__file__).parent.parent / "tests/data/support_pairs.jsonl").read_text().splitlines()]
settings = Settings()
judge = SupportJudge(Embedder(settings.embedding_model), settings.answer.support_threshold)
scored = [(judge.judge(p["sentence"], p["passage"]).score, p["supported"], p["sentence"]) for p in pairs]
for score, label, sentence in sorted(scored):
    print(f"{score:.3f} {'SUPPORTED  ' if label else 'unsupported'} {sentence}")
print("\nthreshold  accuracy  false-accept  false-reject")
for t in [x / 100 for x in range(30, 76, 5)]:
    fa = sum(s >= t and not lab for s, lab, _ in scored)
    fr = sum(s < t and lab for s, lab, _ in scored)
    print(f"{t:9.2f}  {1 - (fa + fr) / len(scored):8.3f}  {fa:12d}  {fr:12d}" + ("   <- current" if t == settings.answer.support_threshold else ""))
