"""Proof that the language model runs on this machine: load it in a child process and let it answer.

A native build of llama.cpp can kill its process on the first matrix product: Intel AMX (llama.cpp issue
20824), or an instruction the CPU lacks when the build was made on another machine. A crash inside C code
cannot be caught in Python, so the set-up, `check-model` and `serve-model` run a first answer in a child
process and turn its death into one sentence that names the fix.
"""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

from ..config import Repack, Settings
from ..errors import ChatbotError

REBUILD = "`make rebuild-llama`"
# A fixed prompt: the verdict's read of the last token (prefill) and a few decoded tokens, as a question uses them.
PROBE_MESSAGES = [{"role": "user", "content": "Is Paris the capital of France? Reply with yes or no."}]
PROBE_TOKENS = 4
TIMEOUT_S = 300.0  # loading 1 GB and four tokens take seconds; minutes mean something is wrong


def llama_build_uses_amx() -> bool:
    """Whether the installed llama.cpp was compiled with Intel AMX (its code path crashes: docs/decisions/0001-llama-build-and-repacking.md)."""
    import llama_cpp

    return bool(re.search(r"AMX_INT8 = 1", llama_cpp.llama_print_system_info().decode(errors="replace")))


def repack_weights(choice: Repack) -> bool:
    """Whether llama.cpp should repack the weights (its extra buffer types): `auto` repacks unless the build has
    AVX-512, where the plain path reads a prompt faster (docs/decisions/0001-llama-build-and-repacking.md)."""
    if choice is not Repack.AUTO:
        return choice is Repack.ON
    import llama_cpp

    return "AVX512 = 1" not in llama_cpp.llama_print_system_info().decode(errors="replace")


def amx_refusal() -> str:
    return (f"The installed llama.cpp was built with Intel AMX, whose code path crashes on the first answer "
            f"(llama.cpp issue 20824); rebuild it for this CPU with {REBUILD}.")


def crash_sentence(what: str, returncode: int, uses_amx: bool) -> str:
    """One sentence for a process that died by a signal (returncode < 0, as subprocess reports it)."""
    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = "unknown signal"
    said = f"{what} crashed on its first answer (signal {number}, {name})"
    if uses_amx:
        return f"{said}; this llama.cpp build uses Intel AMX (llama.cpp issue 20824): rebuild it for this CPU with {REBUILD}."
    if number == signal.SIGILL:
        return f"{said}: the llama.cpp build uses an instruction this CPU does not have; rebuild it for this CPU with {REBUILD}."
    return f"{said}; rebuild llama.cpp for this CPU with {REBUILD}, and if it still crashes, report the output of `python -m chatbot check-model`."


def check_generator(settings: Settings, timeout_s: float = TIMEOUT_S, command: list[str] | None = None) -> str:
    """Runs the probe in a child process; returns the model's reply, or raises ChatbotError with one sentence.
    `command` replaces the child (tests give one that crashes or hangs)."""
    from . import engine_class

    if not engine_class(settings.generation.engine).local:
        return ""  # the model runs on its server: serve-model checks it there
    command = command or [sys.executable, "-m", "chatbot.engines.health"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise ChatbotError(f"The language model did not finish a {PROBE_TOKENS}-token answer within {timeout_s:.0f} s; "
                           f"the machine may be overloaded or the build broken: rebuild it with {REBUILD}.") from None
    if done.returncode < 0:
        raise ChatbotError(crash_sentence("The language model", done.returncode, _uses_amx_safely()))
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise ChatbotError(said[0].removeprefix("Error: "))
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])["reply"]
    except (ValueError, IndexError, KeyError):
        raise ChatbotError(f"The language model's check printed something unexpected ({done.stdout[-200:]!r}); "
                           f"rebuild it with {REBUILD}.") from None


def _uses_amx_safely() -> bool:
    try:
        return llama_build_uses_amx()
    except Exception:  # no llama.cpp, or one that cannot load: the sentence then names no cause
        return False


def _probe() -> int:
    """The child: load the configured model, read a yes/no (prefill) and write a few tokens (decode)."""
    from . import load_generator

    try:
        settings = Settings.from_env()
        generator = load_generator(settings)
        yes = generator.yes_probability(PROBE_MESSAGES)
        reply = "".join(generator.stream(PROBE_MESSAGES, PROBE_TOKENS))
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"reply": reply, "yes": yes, "engine": generator.name}))
    return 0


if __name__ == "__main__":
    sys.exit(_probe())
