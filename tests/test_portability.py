"""Runs where it is installed: the llama.cpp build fits this CPU, a crash on the first answer is one sentence,
and the package installed from a wheel finds its own data outside the checkout."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot.config import Settings
from chatbot.engines import health
from chatbot.errors import ChatbotError, EngineUnavailableError

PROJECT = Path(__file__).resolve().parent.parent


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((line for line in text.splitlines() if re.match(r"(flags|Features)\s*:", line)), "")
    return set(line.split(":", 1)[-1].split())


def _system_info() -> str:
    import llama_cpp

    return llama_cpp.llama_print_system_info().decode(errors="replace")


def test_the_installed_llama_cpp_build_keeps_amx_out():
    """AMX's path crashes on the first matrix product (llama.cpp issue 20824): `make setup` builds without it."""
    assert not health.llama_build_uses_amx(), f"llama.cpp reports AMX; run `make rebuild-llama` ({_system_info()})"


def test_the_installed_llama_cpp_build_uses_this_cpus_vector_instructions():
    """Native, not a lowest-common-denominator build: what the CPU has, the build uses (the speed of prefill)."""
    info, flags = _system_info(), _cpu_flags()
    expected = {"avx2": "AVX2", "avx512f": "AVX512", "avx512_vnni": "AVX512_VNNI", "avx_vnni": "AVX_VNNI", "fma": "FMA"}
    for cpu_flag, reported in expected.items():
        if cpu_flag in flags:
            assert f"{reported} = 1" in info, f"the CPU has {cpu_flag} but llama.cpp was built without it: {info}"


def test_the_build_flags_turn_off_every_amx_extension_the_compiler_would_use():
    flags = subprocess.run(["bash", str(PROJECT / "scripts/llama_cpu_flags.sh")], capture_output=True, text=True, check=True).stdout
    if "amx_int8" in _cpu_flags():
        assert "-mno-amx-int8" in flags and "-mno-amx-tile" in flags
    if os.uname().machine not in ("x86_64", "amd64"):
        assert flags.strip() == ""  # x86 flags only on x86


@pytest.mark.parametrize("signal_number, said", [
    (signal.SIGSEGV, "signal 11, SIGSEGV"),
    (signal.SIGILL, "an instruction this CPU does not have"),
])
def test_the_model_check_turns_a_crashing_child_into_one_sentence(signal_number, said):
    crashing = [sys.executable, "-c", f"import os; os.kill(os.getpid(), {int(signal_number)})"]
    with pytest.raises(ChatbotError) as err:
        health.check_generator(Settings(), command=crashing)
    message = str(err.value)
    assert "crashed on its first answer" in message and said in message and "make rebuild-llama" in message
    assert "\n" not in message and "Traceback" not in message


def test_the_model_check_names_amx_when_the_crashed_build_has_it(monkeypatch):
    monkeypatch.setattr(health, "llama_build_uses_amx", lambda: True)  # the only fake: this machine's build has no AMX
    crashing = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    with pytest.raises(ChatbotError, match=r"uses Intel AMX .* rebuild it for this CPU with `make rebuild-llama`"):
        health.check_generator(Settings(), command=crashing)


def test_the_model_check_gives_up_on_a_hanging_child():
    with pytest.raises(ChatbotError, match="did not finish a 4-token answer within 2 s"):
        health.check_generator(Settings(), timeout_s=2, command=[sys.executable, "-c", "import time; time.sleep(60)"])


def test_the_model_check_passes_on_a_childs_own_error_sentence():
    failing = [sys.executable, "-c", "import sys; print('Error: The generator model x.gguf does not exist.', file=sys.stderr); sys.exit(2)"]
    with pytest.raises(ChatbotError, match=r"^The generator model x.gguf does not exist.$"):
        health.check_generator(Settings(), command=failing)


def test_the_engine_refuses_a_build_with_amx_before_loading_anything(monkeypatch, tmp_path):
    from chatbot.engines import llama_cpp as engine

    monkeypatch.setattr(engine, "llama_build_uses_amx", lambda: True)  # as an environment built before the fix
    with pytest.raises(EngineUnavailableError) as err:
        engine.LlamaCppGenerator(tmp_path / "never-read.gguf", Settings().generation)
    assert "Intel AMX" in str(err.value) and "make rebuild-llama" in str(err.value)


@pytest.mark.slow
def test_the_model_check_passes_with_the_real_model():
    reply = health.check_generator(Settings())
    assert reply.strip(), "the model wrote nothing"


@pytest.mark.slow
def test_a_wheel_installed_outside_the_checkout_answers_from_its_own_data(tmp_path):
    """pip wheel → a fresh venv outside the checkout → index and ask a tiny collection. The venv borrows the
    project venv's third-party packages through a .pth line (not its editable install of this package: .pth
    files of a directory added that way are not run), so llama-cpp-python is not compiled a second time."""
    source, dist = tmp_path / "source", tmp_path / "dist"  # a copy: setuptools writes build/ beside the sources
    shutil.copytree(PROJECT / "chatbot", source / "chatbot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / "pyproject.toml", source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(source)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("chatbot-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    borrowed = Path(subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True).stdout.strip())
    (site / "borrowed-dependencies.pth").write_text(f"{borrowed}\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True)

    work = tmp_path / "elsewhere"
    (work / "docs").mkdir(parents=True)
    (work / "docs" / "lighthouse.md").write_text(
        "# The Harbour Lighthouse\n\nThe Harbour Lighthouse was built in 1871 from granite quarried on the island. "
        "Its lamp was first lit by the keeper Margaret Ellis, who kept it for thirty-two years.\n")
    env = {**os.environ, "CHATBOT_CORPUS_DIR": str(work / "docs"), "CHATBOT_INDEX_DIR": str(work / "index"),
           "CHATBOT_MODEL_CACHE_DIR": str(Settings().model_cache_dir)}  # the assembled model, not 1.1 GB again
    env.pop("PYTHONPATH", None)

    def run(*args):
        return subprocess.run([str(python), *args], cwd=work, env=env, capture_output=True, text=True, timeout=600)

    where = run("-c", "import chatbot, chatbot.answer.answerability as a; print(chatbot.__file__); print(a.SHIPPED_WEIGHTS[0].parent)")
    assert where.returncode == 0, where.stderr
    assert all(str(PROJECT) not in line and str(site) in line for line in where.stdout.splitlines()), where.stdout
    assert run("-m", "chatbot", "index").returncode == 0
    asked = run("-m", "chatbot", "ask", "--json", "When was the Harbour Lighthouse built?")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and "1871" in answer["answer"] and answer["citations"][0]["doc"] == "lighthouse.md"


def test_a_model_server_that_dies_on_its_first_answer_is_one_sentence(tmp_path):
    """What serve-model's trial run says when llama-server is killed by a signal (a stand-in process that logs
    as llama-server does and dies the way the AMX build did)."""
    from chatbot.model_server import wait_until_ready

    dying = "import os, signal, sys; print('system_info: n_threads = 2 | CPU : AVX2 = 1 | AMX_INT8 = 1 |', file=sys.stderr); " \
            "sys.stderr.flush(); os.kill(os.getpid(), signal.SIGSEGV)"
    with open(tmp_path / "log", "w+b") as log:
        process = subprocess.Popen([sys.executable, "-c", dying], stderr=log)
        process.wait()
        with pytest.raises(ChatbotError) as err:
            wait_until_ready("http://127.0.0.1:9", 10, process, log)
    assert str(err.value).startswith("llama-server crashed on its first answer (signal 11, SIGSEGV)")
    assert "Intel AMX" in str(err.value) and "make rebuild-llama" in str(err.value)
