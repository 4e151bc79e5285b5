"""Converters, one module per file format, each with `SUFFIXES` and `convert(path, data) -> Converted`.

Adding a format is adding a module and naming it in `_MODULES`. A converter raises ChatbotError with
one sentence (what is wrong, how to fix it) for a file it cannot read; the index then skips that file.
Heavy libraries are imported inside `convert`, so a question never pays for them.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import ChatbotError
from . import docx, eml, epub, html, mhtml, odt, pdf, plain, pptx, sheet
from .base import CONTENT_KINDS, Block, Converted

_MODULES = (plain, pdf, html, mhtml, docx, odt, pptx, sheet, eml, epub)
CONVERTERS = {suffix: module.convert for module in _MODULES for suffix in module.SUFFIXES}
SUPPORTED_SUFFIXES = tuple(CONVERTERS)

__all__ = ["CONTENT_KINDS", "CONVERTERS", "SUPPORTED_SUFFIXES", "Block", "Converted", "convert", "describe_supported"]


def describe_supported() -> str:
    return ", ".join(SUPPORTED_SUFFIXES)


def convert(path: Path, data: bytes) -> Converted:
    converter = CONVERTERS.get(path.suffix.lower())
    if converter is None:
        raise ChatbotError(f"{path.name} is a {path.suffix or 'suffix-less'} file, which cannot be read; "
                           f"save it as one of {describe_supported()}.")
    try:
        return converter(path, data)
    except (ChatbotError, MemoryError):
        raise
    except Exception as exc:  # a parser of untrusted files failing in its own way: that file is skipped, not the collection
        raise ChatbotError(f"{path.name} could not be read ({type(exc).__name__}: {exc}); check that it opens in its usual "
                           f"program, or save it again (or as PDF).") from None
