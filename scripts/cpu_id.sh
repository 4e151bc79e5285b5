#!/usr/bin/env bash
# One line naming this machine's CPU kind and instruction sets (a native build is valid for this line only).
set -euo pipefail
features=$(grep -m1 -E '^(flags|Features)[[:space:]]*:' /proc/cpuinfo 2>/dev/null || sysctl -n machdep.cpu.features 2>/dev/null || true)
echo "$(uname -m) cpu $(printf '%s' "$features" | cksum | cut -d' ' -f1)"
