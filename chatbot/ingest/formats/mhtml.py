"""Web pages saved as one file (.mhtml, .mht: a browser's "Save as single file", Word's "Single File Web Page"):
a MIME archive whose first HTML part is the page itself, read as a saved web page is read."""
from __future__ import annotations

import contextlib
from pathlib import Path

from ...errors import ChatbotError
from . import html
from .base import Converted

SUFFIXES = (".mhtml", ".mht")


def convert(path: Path, data: bytes) -> Converted:
    import email
    import email.policy

    archive = email.message_from_bytes(data, policy=email.policy.default)
    page = next((part for part in archive.walk() if part.get_content_type() == "text/html"), None)
    if page is None:
        raise ChatbotError(f"{path.name} holds no web page (no HTML part); open it in a browser and save it again, "
                           f"as .html or as PDF.")
    markup = page.get_payload(decode=True) or b""  # quoted-printable or base64 undone
    charset = page.get_content_charset()
    if charset:  # the archive names the page's encoding; hand the converter text it cannot mis-guess
        with contextlib.suppress(LookupError):  # an encoding Python does not know: trafilatura guesses instead
            markup = markup.decode(charset, errors="replace").encode("utf-8")
    return html.convert(path, markup)
