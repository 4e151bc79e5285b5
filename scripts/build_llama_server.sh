#!/usr/bin/env bash
# Builds llama.cpp's llama-server into the venv from the llama.cpp sources vendored in the sdist of the
# llama-cpp-python version installed there (so server and in-process engine run the same llama.cpp), with the same
# CPU flags as that build: native, without AMX (scripts/llama_cpu_flags.sh). Does nothing when the binary's stamp
# matches the version, the flags and the CPU; `--force` rebuilds. No prebuilt web UI is fetched and no network is
# used but PyPI (for the sdist). About 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
FORCE=${2:-}
OUT="$VENV/bin/llama-server"
VERSION=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('llama_cpp_python'))")
FLAGS=$(bash scripts/llama_cpu_flags.sh)
WANT="$VERSION; -DGGML_NATIVE=ON ${FLAGS:-}; $(bash scripts/cpu_id.sh)"
if [ "$FORCE" != "--force" ] && [ -x "$OUT" ] && [ "$(cat "$OUT.version" 2>/dev/null)" = "$WANT" ]; then exit 0; fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "Building llama-server from llama-cpp-python $VERSION's llama.cpp for this CPU (about 5 minutes on 2 cores)…"
"$VENV/bin/pip" download --quiet --no-binary :all: --no-deps "llama_cpp_python==$VERSION" -d "$WORK"
tar xzf "$WORK"/llama_cpp_python-*.tar.gz -C "$WORK"
GENERATOR=$(command -v ninja >/dev/null && echo "-G Ninja" || true)
# shellcheck disable=SC2086
cmake -S "$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp" -B "$WORK/build" $GENERATOR -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON -DCMAKE_C_FLAGS="$FLAGS" -DCMAKE_CXX_FLAGS="$FLAGS" \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DGGML_CCACHE=OFF >"$WORK/cmake.log" \
  || { tail -20 "$WORK/cmake.log"; exit 1; }
cmake --build "$WORK/build" --target llama-server -j "$(nproc)" >"$WORK/build.log" 2>&1 \
  || { grep -m5 -B2 -A5 "error" "$WORK/build.log"; exit 1; }
install -m 755 "$WORK/build/bin/llama-server" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$WANT" >"$OUT.version"
echo "Built $OUT"
