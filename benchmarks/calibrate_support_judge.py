"""Score the support judge on the hand-labelled pairs and show accuracy at each threshold.

Run: .venv/bin/python benchmarks/calibrate_support_judge.py
The chosen threshold is Settings.support_threshold (see README, "Design choices").
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from chatbot.citations import SupportJudge  # noqa: E402
from chatbot.config import Settings  # noqa: E402
from chatbot.embeddings import Embedder  # noqa: E402

pairs = [json.loads(line) for line in open(Path(__file__).parent.parent / "tests/data/support_pairs.jsonl")]
settings = Settings()
judge = SupportJudge(Embedder(settings), settings.support_threshold)
scored = [(judge.judge(p["sentence"], p["passage"]).score, p["supported"], p["sentence"]) for p in pairs]
for score, label, sentence in sorted(scored):
    print(f"{score:.3f} {'SUPPORTED  ' if label else 'unsupported'} {sentence}")
print("\nthreshold  accuracy  false-accept  false-reject")
for t in [x / 100 for x in range(30, 76, 5)]:
    fa = sum(s >= t and not lab for s, lab, _ in scored)
    fr = sum(s < t and lab for s, lab, _ in scored)
    print(f"{t:9.2f}  {1 - (fa + fr) / len(scored):8.3f}  {fa:12d}  {fr:12d}" + ("   <- current" if t == settings.support_threshold else ""))
