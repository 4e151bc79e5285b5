"""Which dense index does Milvus Lite actually search? Clustered unit vectors into one collection per index type,
then dense recall@10 against exact search (numpy) and search p50 for a sweep of nprobe.

    .venv/bin/python -m benchmarks.bench_milvus_lite_index [--n 100000] [--kinds IVF_FLAT,FLAT,AUTOINDEX] [--nlist 1024]

Milvus is the binary of the pinned milvus-lite 2.5.1 wheel on a free loopback port (the tests' fixture). If a search
parameter is honoured, recall and time move with nprobe; docs/results/2026-12-02-milvus-lite-dense-index.md.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIM, NPROBES = 384, (1, 8, 32, 128, 512)


def clustered(n: int, queries: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n unit vectors around n/50 centres, and queries near some of them (a passage and its paraphrase)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 50), DIM)).astype(np.float32)
    vectors = centres[rng.integers(0, len(centres), n)] + 0.3 * rng.standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    near = vectors[rng.choice(n, queries, replace=False)] + 0.05 * rng.standard_normal((queries, DIM)).astype(np.float32)
    return vectors, near / np.linalg.norm(near, axis=1, keepdims=True)


def measure(client, name: str, kind: str, nlist: int, vectors: np.ndarray, queries: np.ndarray) -> list[dict]:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=DIM)
    index = client.prepare_index_params()
    index.add_index("v", index_type=kind, metric_type="IP", params={"nlist": nlist} if kind == "IVF_FLAT" else {})
    client.create_collection(name, schema=schema, index_params=index)
    t0 = time.perf_counter()
    for at in range(0, len(vectors), 5000):
        client.insert(name, [{"id": i, "v": vectors[i].tolist()} for i in range(at, min(len(vectors), at + 5000))])
    client.flush(name)
    insert_s = round(time.perf_counter() - t0, 1)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    rows = []
    for nprobe in NPROBES if kind == "IVF_FLAT" else (None,):
        params = {"metric_type": "IP", "params": {"nprobe": nprobe} if nprobe else {}}
        recall, times = [], []
        for query, truth in zip(queries, exact):
            t0 = time.perf_counter()
            hits = client.search(name, [query.tolist()], anns_field="v", limit=10, search_params=params,
                                 consistency_level="Strong")[0]
            times.append(time.perf_counter() - t0)
            recall.append(len({h["id"] for h in hits} & set(truth.tolist())) / 10)
        rows.append({"index": kind, "nprobe": nprobe, "insert_s": insert_s, "recall_at_10": round(float(np.mean(recall)), 3),
                     "search_p50_ms": round(1000 * statistics.median(times), 1)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    from helpers.milvus import milvus_server  # the tests' own fixture code: the pinned binary on a free port
    from pymilvus import MilvusClient

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--kinds", default="IVF_FLAT,FLAT,AUTOINDEX")
    parser.add_argument("--nlist", type=int, default=1024)
    args = parser.parse_args()
    vectors, queries = clustered(args.n, args.queries)
    with tempfile.TemporaryDirectory() as folder, milvus_server(Path(folder)) as (uri, _):
        client = MilvusClient(uri=uri, timeout=600)
        for kind in args.kinds.split(","):
            measure(client, f"bench_{kind.lower()}", kind, args.nlist, vectors, queries)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    main()
