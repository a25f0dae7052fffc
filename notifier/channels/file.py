"""The file channel: each digest as an .eml and an .html in a folder (the embedded default)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from notifier.channels.base import Outgoing, PermanentError, SendResult, TransientError
from notifier.mime import build_message
from storage.text import clean_text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over the target.

    A reader (or a crash) sees either no file or the whole file, never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_stem(digest_id: int, subscriber_id: str) -> str:
    return f"{digest_id}-{_UNSAFE.sub('_', subscriber_id).strip('._') or 'subscriber'}"


class FileSender:
    """Writes `<path>/<digest-id>-<subscriber>.eml` and `.html`; rewriting them is harmless."""

    def __init__(self, sender: str = "unionwatch@localhost", list_id: str | None = None) -> None:
        self.sender = sender
        self.list_id = list_id

    def units(self, msg: Outgoing) -> int:
        return 1

    def send(self, msg: Outgoing, unit: int) -> SendResult:
        folder = Path(msg.target).expanduser()
        stem = file_stem(msg.digest_id, msg.subscriber_id)
        eml = build_message(msg, sender=self.sender, to=(), list_id=self.list_id)
        try:
            write_atomic(folder / f"{stem}.html", clean_text(msg.body_html).encode("utf-8"))
            write_atomic(folder / f"{stem}.eml", bytes(eml))
        except PermissionError as exc:
            raise PermanentError(f"cannot write to {folder}: {exc.strerror}") from None
        except OSError as exc:  # disk full, folder on a missing mount: may heal
            raise TransientError(f"cannot write to {folder}: {exc.strerror}") from None
        return SendResult(answer=f"written: {folder / stem}.html and .eml")

    def close(self) -> None:
        pass
