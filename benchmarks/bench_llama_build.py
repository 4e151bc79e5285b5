"""Prefill and decode speed of llama.cpp builds, side by side in one run (README, "Models": how the build is made).

    .venv/bin/python -m benchmarks.bench_llama_build --build native=/tmp/llama-native [--reps 5]

compares the venv's llama-cpp-python (`installed`) with each `NAME=DIR` build (a folder made with
`pip install --target DIR llama_cpp_python-….whl`; `DIR:no-repack` runs it with weight repacking off, and
`installed:no-repack` the venv's build so). Each measurement is a child process with that build
first on its path; builds take turns rep by rep, so a neighbour's load on a shared machine hits all of them.
A build that reports AMX runs with weight repacking off (`use_extra_bufts = False`), the only way it runs at
all on a CPU with AMX (llama.cpp issue 20824). Prefill: a ~450-token prompt from the bundled articles read in
one batch, fresh cache; decode: 64 greedy tokens one at a time after it. Medians; ratios to the first build.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DECODE_TOKENS = 64


def _child() -> None:
    import llama_cpp
    import llama_cpp.llama_cpp as raw
    import numpy as np

    from chatbot.config import Settings
    from chatbot.models import generator_model_path

    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    if "AMX_INT8 = 1" in info or os.environ.get("BENCH_NO_REPACK"):
        defaults = raw.llama_model_default_params

        def without_repacking():
            params = defaults()
            params.use_extra_bufts = False
            return params
        raw.llama_model_default_params = without_repacking
    settings = Settings()
    model = generator_model_path("", settings.model_cache_dir, progress=False)
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=4096, n_threads=settings.generation.n_threads, seed=0, verbose=False)
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((PROJECT / "corpus").glob("*.txt")))
    prompt = llm.tokenize(text.encode(), add_bos=True)[:450]
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(prompt)
    prefill = len(prompt) / (time.perf_counter() - t0)
    n_vocab = llm.n_vocab()
    tokens = []
    t0 = time.perf_counter()
    for _ in range(DECODE_TOKENS):
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(n_vocab,))
        tokens.append(int(np.argmax(logits)))
        llm.eval(tokens[-1:])
    decode = DECODE_TOKENS / (time.perf_counter() - t0)
    print(json.dumps({"prefill": prefill, "decode": decode, "amx": "AMX_INT8 = 1" in info,
                      "text": llm.detokenize(tokens).decode(errors="replace"), "system_info": info}))


def _measure(path: str | None) -> dict:
    env = dict(os.environ)
    if path and path.endswith(":no-repack"):  # DIR:no-repack (or installed:no-repack): weight repacking off
        path, env["BENCH_NO_REPACK"] = path.removesuffix(":no-repack"), "1"
    if path == "installed":
        path = None
    if path:
        env["PYTHONPATH"] = os.pathsep.join([path, str(PROJECT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, cwd=PROJECT)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-300:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="append", default=[], help="NAME=DIR of another llama-cpp-python build")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child()
        return
    builds = {"installed": None} | dict(b.split("=", 1) for b in args.build)
    runs: dict[str, list[dict]] = {name: [] for name in builds}
    for rep in range(args.reps):
        for name, path in builds.items():
            runs[name].append(_measure(path))
            print(f"rep {rep + 1} {name}: {({k: v for k, v in runs[name][-1].items() if k != 'system_info'})}", file=sys.stderr)
    base = None
    print("| build | AMX | prefill tokens/s | decode tokens/s | prefill ratio | decode ratio | same text |")
    print("|---|---|---|---|---|---|---|")
    for name, results in runs.items():
        ok = [r for r in results if "error" not in r]
        if not ok:
            print(f"| {name} | – | crashed: {results[0]['error'][:80]} | | | | |")
            continue
        prefill = statistics.median(r["prefill"] for r in ok)
        decode = statistics.median(r["decode"] for r in ok)
        base = base or (prefill, decode, ok[0]["text"])
        print(f"| {name} | {ok[0]['amx']} | {prefill:.1f} | {decode:.2f} | {prefill / base[0]:.3f} | {decode / base[1]:.3f} "
              f"| {ok[0]['text'] == base[2]} |")
    for name, results in runs.items():
        ok = [r for r in results if "error" not in r]
        if ok:
            print(f"\n{name}: {ok[0]['system_info']}")


if __name__ == "__main__":
    main()
