"""docs/configuration.md, generated from the settings code so that it cannot go stale (`make docs`; a test
compares the file with this output)."""
from __future__ import annotations

import enum
import typing

from .config import GROUPS, RENAMED, Settings

_FOLDER_DEFAULTS = {"corpus_dir": "`corpus/` of the checkout (an installed package: `./corpus`)",
                    "index_dir": "`index/` of the checkout (an installed package: `./index`)",
                    "model_cache_dir": "`models/` of the checkout (an installed package: `~/.cache/chatbot`)",
                    "collections_dir": "`collections/` of the checkout (an installed package: `./collections`)"}


def configuration_markdown() -> str:
    lines = [
        "# Configuration",
        "",
        "Generated from `chatbot/config.py` by `make docs` (`python -m chatbot settings --markdown`); do not edit.",
        "",
        "Every setting is an environment variable `CHATBOT_<NAME>` and a keyword of the same name in code",
        "(`Settings(top_k=6)`, `settings.replace(top_k=6)`). A wrong value is one sentence naming the variable.",
        "`python -m chatbot settings` prints the values in effect.",
        "",
    ]
    owners = {**{name: group for group, cls in GROUPS.items() for name in cls.model_fields}}
    for group in ("collection and models", *GROUPS):
        names = [n for n in Settings.model_fields if owners.get(n, "collection and models") == group]
        lines += [f"## {group.capitalize()}", "", "| variable | default | allowed | what it does |", "|---|---|---|---|"]
        lines += [_row(name) for name in names]
        lines.append("")
    lines += ["## Renamed", "", "These names are refused with their new name:", ""]
    lines += [f"- `CHATBOT_{old.upper()}` is now `CHATBOT_{new.upper()}`" for old, new in RENAMED.items()]
    return "\n".join(lines) + "\n"


def _row(name: str) -> str:
    field = Settings.model_fields[name]
    default = _FOLDER_DEFAULTS.get(name) or f"`{_plain(field.default)}`"
    return f"| `CHATBOT_{name.upper()}` | {default} | {_allowed(field)} | {field.description or ''} |"


def _allowed(field) -> str:
    low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
    if low is not None or high is not None:
        return f"{low} .. {high}"
    kind = field.annotation
    if typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return ", ".join(f"`{m.value}`" for m in kind)
    if kind is bool:
        return "true / false"
    return {"Path": "a folder", "str": "text"}.get(getattr(kind, "__name__", ""), "")


def _plain(value) -> str:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return str(value).lower()
    if value == "":
        return "(empty)"
    return f"{value:,}" if isinstance(value, int) else str(value)
