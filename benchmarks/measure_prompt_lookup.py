"""Prompt-lookup (n-gram) speculative decoding without `logits_all`: does it make answers come faster?

    .venv/bin/python benchmarks/measure_prompt_lookup.py --questions 6 --drafts 1,2,4,8

llama-cpp-python's own `LlamaPromptLookupDecoding` turns on `logits_all`, which slows the prefill that
the first token waits for. This measures the idea with logits requested only for the draft: greedy
decoding in a loop of our own where, at each step, the tokens that followed the latest earlier
occurrence of the last 1-3 tokens (in the prompt or the answer so far) are proposed as a draft of up to
k tokens, the model reads the certain next token and the draft in one batch, and the draft is kept up
to its first token the model would not have chosen (the rejected tail is dropped from the KV cache).
For each answerable question (no history) of eval/questions.jsonl, after the prompt is in the cache:
the engine's own decoding (create_chat_completion), then the loop with each k (k=0 is the same loop
without drafts: it must give the engine's text). Prints time per answer, draft tokens accepted, and
how many answers came out different from the engine's.
"""
from __future__ import annotations

import argparse
import codecs
import json
import time
from collections.abc import Iterator
from pathlib import Path

import llama_cpp
import numpy as np

from chatbot.bot import Chatbot
from chatbot.config import Settings


def draft_for(tokens: list[int], k: int, max_ngram: int = 3) -> list[int]:
    """Up to k tokens that followed the latest earlier occurrence of the last n tokens (n = 3, 2, 1)."""
    for n in range(max_ngram, 0, -1):
        tail = tokens[-n:]
        for start in range(len(tokens) - n - 1, -1, -1):
            if tokens[start:start + n] == tail:
                return tokens[start + n:start + n + k]
    return []


def decode_with_lookup(generator, messages: list[dict], max_tokens: int, k: int, stats: dict) -> Iterator[str]:
    llm = generator._llm  # the llama.cpp engine's model: batches with per-token logits need its internals

    def choice(i: int) -> int:
        return int(np.argmax(np.ctypeslib.as_array(llm._ctx.get_logits_ith(i), shape=(llm.n_vocab(),))))

    def is_end(token: int) -> bool:
        return llama_cpp.llama_vocab_is_eog(llm._model.vocab, token)

    generator.yes_probability(messages)  # the prompt into llama.cpp's cache (only its uncached tokens are read)
    history, following, produced = llm.input_ids[:llm.n_tokens].tolist(), choice(-1), 0
    utf8 = codecs.getincrementaldecoder("utf-8")("replace")
    while produced < max_tokens and not is_end(following):
        draft = draft_for(history + [following], k)[:max(0, max_tokens - produced - 1)] if k else []
        batch, n_past = [following, *draft], llm.n_tokens
        llm._batch.set_batch(batch=batch, n_past=n_past, logits_all=True)
        llm._ctx.decode(llm._batch)
        chosen = [choice(i) for i in range(len(batch))]
        kept = 0
        while kept < len(draft) and chosen[kept] == draft[kept]:
            kept += 1
        accepted = batch[:1 + kept]
        llm.input_ids[n_past:n_past + len(accepted)] = accepted
        llm.n_tokens = n_past + len(accepted)
        llm._ctx.kv_cache_seq_rm(0, llm.n_tokens, -1)  # the draft's rejected tail
        stats["drafted"] += len(draft)
        stats["accepted"] += kept
        for token in accepted:
            if is_end(token):
                return
            history.append(token)
            produced += 1
            if text := utf8.decode(llm.detokenize([token])):
                yield text
        following = chosen[kept]


def warm(generator, messages: list[dict]) -> None:
    """The prompt into the cache, so that only decoding is timed."""
    generator.yes_probability(messages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=6)
    parser.add_argument("--drafts", default="1,2,4,8", help="draft lengths k to measure")
    args = parser.parse_args()
    drafts = [0, *(int(k) for k in args.drafts.split(","))]
    bot = Chatbot(Settings.from_env())
    generator = bot.generator
    lines = Path("eval/questions.jsonl").read_text().splitlines()
    questions = [q for q in map(json.loads, lines) if q.get("answerable", True) and not q.get("history")]
    times = {"engine": [], **{k: [] for k in drafts}}
    differ = dict.fromkeys(drafts, 0)
    for q in questions[:args.questions]:
        _, messages = bot.pipeline.prompt(q["question"], bot.retriever.search(q["question"], 5))
        warm(generator, messages)
        t0 = time.perf_counter()
        engine_text = "".join(generator.stream(messages, 200))
        times["engine"].append(time.perf_counter() - t0)
        line = f"engine {times['engine'][-1]:.2f} s, {generator.count_tokens(engine_text)} tokens"
        for k in drafts:
            stats = {"drafted": 0, "accepted": 0}
            warm(generator, messages)
            t0 = time.perf_counter()
            text = "".join(decode_with_lookup(generator, messages, 200, k, stats))
            times[k].append(time.perf_counter() - t0)
            differ[k] += text != engine_text
            line += f" | k={k} {times[k][-1]:.2f} s, accepted {stats['accepted']}/{stats['drafted']}" + (" (differs)" if text != engine_text else "")
        print(line, flush=True)
    base = float(np.median(times["engine"]))
    print(f"\nmedian time per answer: engine {base:.2f} s; " + "; ".join(
        f"k={k} {np.median(times[k]):.2f} s ({np.median(times[k]) / base:.2f}x), {differ[k]} of {len(times[k])} answers differ"
        for k in drafts))


if __name__ == "__main__":
    main()
