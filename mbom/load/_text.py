"""Read a structured-input file as text, with the one-line errors every reader shares."""

from __future__ import annotations

import os
from pathlib import Path

from mbom._pinned import check_pinned
from mbom.errors import InputError, MalformedFileError, UnreadableFileError
from mbom.load._limits import MAX_TEXT_CHARS

MAX_TEXT_FILE_BYTES = 4 * MAX_TEXT_CHARS
"""Most bytes read from a text file: a UTF-8 character is at most four bytes."""


def read_text(path: str | os.PathLike[str]) -> str:
    """Return the UTF-8 text of ``path`` (a leading BOM is dropped).

    Raises :class:`InputError` when missing or a directory, :class:`UnreadableFileError` when it
    cannot be read, :class:`MalformedFileError` when it is not UTF-8, and ObjectChangedError
    when it is pinned (:mod:`mbom._pinned`) and is not the file that was hashed.
    """
    name = os.fspath(path)
    try:
        with Path(name).open("rb") as handle:
            check_pinned(name, os.fstat(handle.fileno()))
            data = handle.read(MAX_TEXT_FILE_BYTES + 1)
            check_pinned(name, os.fstat(handle.fileno()))
    except FileNotFoundError:
        raise InputError(f"{name}: no such file", path=name) from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, expected a file", path=name) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UnreadableFileError(f"{name}: cannot read: {reason}", path=name) from None
    if len(data) > MAX_TEXT_FILE_BYTES:
        raise MalformedFileError(
            f"{name}: larger than {MAX_TEXT_FILE_BYTES} bytes; refusing", path=name
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFileError(
            f"{name}: not UTF-8 text (invalid byte at offset {exc.start})", path=name
        ) from None
