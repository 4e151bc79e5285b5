"""Several collections side by side: the bundled (or configured) one, named `default`, and any number more, each a
folder of documents under `collections_dir` with its own `collection.toml` and its own index (in the folder's hidden
`.index/`, or on Milvus under a name derived from the folder). One `Library` serves them all with one embedder and
one language model; each collection gets its own `Chatbot` (and so its own index and conversation).
"""
from __future__ import annotations

import contextlib
import re
import shutil
import threading

from .bot import Chatbot
from .collection import PROFILE_FILE
from .config import Settings
from .engines import LazyGenerator
from .errors import ChatbotError, NoDocumentsError
from .index.backend import build_index
from .index.embeddings import make_embedder

DEFAULT = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class Library:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()
        self.root = self.settings.collections_dir
        self._embedder = None
        self._generator = LazyGenerator(self.settings)
        self._bots: dict[str, Chatbot] = {}
        self._lock = threading.RLock()

    # ---- which collections there are
    def names(self) -> list[str]:
        found = sorted(p.name for p in self.root.iterdir() if p.is_dir() and _NAME.match(p.name)) if self.root.is_dir() else []
        return [DEFAULT, *[n for n in found if n != DEFAULT]]

    def settings_for(self, name: str | None) -> Settings:
        """The settings of a collection: its folder and index; everything else is the library's."""
        if name in (None, "", DEFAULT):
            return self.settings
        self._check_exists(name)
        folder = self.root / name
        return self.settings.replace(corpus_dir=str(folder), index_dir=str(folder / ".index"), milvus_collection="")

    @classmethod
    def around(cls, bot: Chatbot) -> Library:
        """A library whose default collection is this chatbot (with its models)."""
        library = cls(bot.settings)
        library._bots[DEFAULT], library._embedder, library._generator = bot, bot.embedder, bot.shared_generator()
        return library

    def bot(self, name: str | None = None) -> Chatbot:
        """The collection's chatbot (its index built or brought up to date on first use), sharing the models."""
        name = name or DEFAULT
        self._check_exists(name)
        with self._lock:
            if name not in self._bots:
                settings = self.settings_for(name)
                with contextlib.suppress(NoDocumentsError):  # an empty collection: documents come by upload
                    build_index(settings, self.embedder, progress=False)
                self._bots[name] = Chatbot(settings, embedder=self.embedder, generator=self._generator)
            return self._bots[name]

    @property
    def embedder(self):
        with self._lock:
            if self._embedder is None:
                self._embedder = make_embedder(self.settings)
            return self._embedder

    # ---- managing them
    def create(self, name: str, title: str = "", description: str = "") -> Settings:
        _check_name(name)
        if name in self.names():
            raise ChatbotError(f"A collection named {name!r} exists already; choose another name.")
        folder = self.root / name
        folder.mkdir(parents=True)
        lines = [f"name = {_toml_string(title or name)}"] + ([f"description = {_toml_string(description)}"] if description else [])
        (folder / PROFILE_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self.settings_for(name)

    def rename(self, old: str, new: str) -> None:
        self._check_not_default(old, "renamed")
        self._check_exists(old)
        _check_name(new)
        if new in self.names():
            raise ChatbotError(f"A collection named {new!r} exists already; choose another name.")
        with self._lock:
            bot = self._bots.pop(old, None)
            if bot:
                bot.index.close()
            (self.root / old).rename(self.root / new)
        # A Milvus index is named after the folder: the renamed collection is indexed again there on first use.

    def delete(self, name: str) -> None:
        """The collection's folder, its documents and its index: only when asked, and never the default."""
        self._check_not_default(name, "deleted")
        self._check_exists(name)
        with self._lock:
            bot = self._bots.pop(name, None)
            if bot:
                bot.index.close()
            shutil.rmtree(self.root / name)

    def _check_exists(self, name: str) -> None:
        if name == DEFAULT:
            return
        if not isinstance(name, str) or not _NAME.match(name) or not (self.root / name).is_dir():
            raise UnknownCollectionError(f"There is no collection {name!r}; the collections are: {', '.join(self.names())}.")

    def _check_not_default(self, name: str, done: str) -> None:
        if name == DEFAULT:
            raise ChatbotError(f"The default collection ({self.settings.corpus_dir}) cannot be {done} here; "
                               "change its folder itself, or set CHATBOT_CORPUS_DIR.")


class UnknownCollectionError(ChatbotError):
    """A collection name that names none (the API answers 404)."""


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ChatbotError(f"{name!r} cannot name a collection: use 1 to 64 letters, digits, '-' or '_', starting with a "
                           "letter or digit (no spaces, no '/' or '.').")


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
