#!/usr/bin/env bash
# Installs llama-cpp-python (the version pinned in requirements.txt) into the venv, compiled for this machine's CPU
# with every vector instruction it has but without Intel AMX (see scripts/llama_cpu_flags.sh and README, "Models").
# Runs before `pip install -r requirements.txt`, which then finds it installed. A stamp records the version, the flags
# and the CPU: the same command on another CPU (a copied venv, a new cloud machine) rebuilds; otherwise it does nothing.
# `--force` rebuilds anyway (make rebuild-llama). About 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
FORCE=${2:-}
VERSION=$(sed -n 's/^llama_cpp_python==//p' requirements.txt)
FLAGS=$(bash scripts/llama_cpu_flags.sh)
STAMP="$VENV/.llama-cpp-build"
WANT="llama_cpp_python $VERSION; -DGGML_NATIVE=ON ${FLAGS:-}; $(bash scripts/cpu_id.sh)"
if [ "$FORCE" != "--force" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ] \
  && [ "$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('llama_cpp_python'))" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
echo "Building llama-cpp-python $VERSION for this CPU (native${FLAGS:+, without AMX}; about 5 minutes on 2 cores)…"
rm -f "$STAMP"
# --no-binary: always from source, for this CPU; --no-cache-dir: never a wheel pip built earlier with other flags.
CMAKE_ARGS="-DGGML_NATIVE=ON ${CMAKE_ARGS:-}" CFLAGS="${CFLAGS:-} $FLAGS" CXXFLAGS="${CXXFLAGS:-} $FLAGS" \
  "$VENV/bin/pip" install --quiet --no-cache-dir --no-binary llama_cpp_python --force-reinstall --no-deps "llama_cpp_python==$VERSION"
echo "$WANT" >"$STAMP"
