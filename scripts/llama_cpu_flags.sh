#!/usr/bin/env bash
# Prints the extra C/C++ flags for building llama.cpp on this machine: a native build (every vector instruction this
# CPU has: AVX2, AVX-512, VNNI…) without Intel AMX, whose code path in llama.cpp crashes on the first matrix product
# (llama.cpp issue 20824). Each AMX extension that -march=native turns on is turned off again by name, so a newer
# compiler's extra AMX flags are covered too. Prints nothing off x86 (ARM builds stay plain native) or when the
# compiler knows no AMX. Exits 1 if AMX would still be on.
set -euo pipefail
CC=${CC:-cc}
case "$(uname -m)" in x86_64 | amd64 | i?86) ;; *) exit 0 ;; esac
amx_macros() { "$CC" -march=native "$@" -dM -E -x c /dev/null | sed -n 's/^#define __AMX_\([A-Z0-9_]*\)__ 1$/\1/p'; }
flags=$(amx_macros | tr 'A-Z_' 'a-z-' | sed 's/^/-mno-amx-/' | tr '\n' ' ')
# shellcheck disable=SC2086
if [ -n "$(amx_macros $flags)" ]; then
  echo "The compiler $CC still enables AMX with: $flags" >&2
  exit 1
fi
echo "$flags"
