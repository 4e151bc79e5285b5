"""Saved e-mails (.eml, as mail programs save or export a message): who wrote it to whom, when and about what, its
body, and the attachments this product can read, each under a heading with its name.

The header lines are content (the subject is the title as well): "Who sent the invoice?" and "When did the landlord write?" are answered from them.
The body is the plain-text part when there is one (read as a text file is), else the HTML part (read as a saved web
page). An attachment in a format read here is converted as its own file would be and follows the message; one that
cannot be read is named in the "Attachments:" line and nothing more, so one damaged attachment costs its text only.
"""
from __future__ import annotations

import functools
from pathlib import Path

from ...errors import ChatbotError
from .base import Converted, TextBuilder

SUFFIXES = (".eml",)

_HEADERS = ("From", "To", "Cc", "Date", "Subject")  # what a mail program shows above a message
_MAX_DEPTH = 2  # a message attached to a message attached to a message is read; deeper ones are named only


def convert(path: Path, data: bytes, depth: int = 0) -> Converted:
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.default)
    if not any(message.get(h) for h in ("From", "Subject", "Date")) and not message.is_multipart():
        raise ChatbotError(f"{path.name} is not an e-mail (it has no From, Subject or Date header); save the message "
                           f"again from the mail program, or as PDF.")
    builder = TextBuilder()
    header = [f"{name}: {' '.join(str(message[name]).split())}" for name in _HEADERS if message.get(name)]
    attachments = list(message.iter_attachments()) if message.is_multipart() else []
    names = [_attachment_name(a) for a in attachments]
    if names:
        header.append("Attachments: " + ", ".join(names))
    builder.add("text", "\n".join(header), lines=True)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:  # a letter's greeting and signature stand alone like headings, but label nothing
        _replay(builder, _read_part(path, body), headings=False)
    for name, attachment in zip(names, attachments):
        read = _read_attachment(Path(name), attachment, depth)
        if read is not None and read.text.strip():
            builder.add("heading", f"Attachment: {name}")
            _replay(builder, read)
    return builder.result(str(message.get("Subject") or ""))


def _attachment_name(attachment) -> str:
    """Its file name; a forwarded message without one is named by its subject."""
    if attachment.get_filename():
        return attachment.get_filename()
    payload = attachment.get_payload() if attachment.get_content_type() == "message/rfc822" else None
    subject = payload[0].get("Subject") if isinstance(payload, list) and payload else None
    return f"e-mail \"{' '.join(str(subject).split())}\"" if subject else "unnamed attachment"


def _read_part(path: Path, part) -> Converted:
    """The body: text as a text file is read (its paragraphs and lines), HTML as a saved page."""
    from . import html, plain

    if part.get_content_type() == "text/html":
        return html.convert(path, part.get_content().encode("utf-8"))
    return plain.convert(path.with_suffix(".txt"), part.get_content().encode("utf-8"))


def _read_attachment(name: Path, attachment, depth: int) -> Converted | None:
    from . import CONVERTERS

    suffix = name.suffix.lower()
    if suffix == ".eml" or attachment.get_content_type() == "message/rfc822":
        if depth >= _MAX_DEPTH:
            return None
        payload = attachment.get_payload()
        data = payload[0].as_bytes() if isinstance(payload, list) and payload else attachment.get_payload(decode=True)
        converter = functools.partial(convert, depth=depth + 1)
    else:
        converter, data = CONVERTERS.get(suffix), attachment.get_payload(decode=True)
    if converter is None or not data:
        return None
    try:
        return converter(name, data)
    except MemoryError:
        raise
    except Exception:  # ChatbotError or a parser's own: the attachment stays named in the "Attachments:" line only
        return None


def _replay(builder: TextBuilder, converted: Converted, headings: bool = True) -> None:
    """Another converter's blocks, written into this document in order, each of its own kind (headings as text
    when `headings` is false)."""
    for block in converted.blocks:
        kind = "text" if block.kind == "heading" and not headings else block.kind
        builder.add(kind, converted.text[block.start:block.end], lines=True)
