"""Atomic file writes: a reader sees the old file(s) or the whole new ones, never a partial one.

Every file mbom writes (BOMs, bundles, manifests, reports) goes through :func:`write_atomic`,
or :func:`write_atomic_set` for files that only make sense together (a BOM and the sidecar
manifests it pins by SHA-256): every file of a set is written and flushed to a temporary
beside its target first; only then are they renamed into place, the file that names the
others (the BOM) last. A failure while writing (ENOSPC, EDQUOT, EACCES, EROFS, EIO...) leaves
every previous file untouched; a failure while renaming puts back the files already replaced.
OS errors become one-line :class:`mbom.errors.InputError` naming the path (exit 2).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from mbom.errors import InputError


class FileData(NamedTuple):
    """A payload already written to a file (a large sidecar manifest): streamed into the
    temporary beside the target, never read into memory at once."""

    path: str


Payload = bytes | str | FileData


def write_atomic(path: str | os.PathLike[str], data: Payload, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    write_atomic_set([(path, data)], mode=mode)


def write_atomic_set(
    files: Sequence[tuple[str | os.PathLike[str], Payload]], *, mode: int = 0o644
) -> None:
    """Write several files as one: all or (as far as the OS allows) none of them change.

    Renamed in the order given: put the file that refers to the others last.
    """
    staged: list[tuple[Path, str]] = []
    try:
        for path, data in files:
            target = Path(path)
            staged.append((target, _stage(target, data, mode)))
        _commit(staged)
    finally:
        for _target, tmp_name in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)


def _stage(target: Path, data: Payload, mode: int) -> str:
    """A flushed temporary beside ``target`` holding ``data``; its name."""
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _error(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, FileData):
                _fill_from(handle, data.path)
            else:
                # A lone surrogate (from a "\ud800" escape in someone's JSON) is written as
                # that escape.
                handle.write(
                    data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data
                )
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise _error(target, exc) from None
    return tmp_name


def _fill_from(handle: object, source: str) -> None:
    """Stream ``source``'s bytes into the staged temporary (bounded memory)."""
    import shutil

    with open(source, "rb") as reader:
        shutil.copyfileobj(reader, handle, 1024 * 1024)  # type: ignore[arg-type, misc]


def _commit(staged: list[tuple[Path, str]]) -> None:
    """Rename every temporary into place; on failure, restore what was replaced."""
    replaced: list[tuple[Path, str | None]] = []  # target, backup of its old content (or None)
    try:
        for target, tmp_name in staged:
            backup = _backup(target) if len(staged) > 1 else None
            try:
                os.replace(tmp_name, target)
            except OSError as exc:
                _discard(backup)
                raise _error(target, exc) from None
            replaced.append((target, backup))
    except BaseException:
        for target, backup in reversed(replaced):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    os.unlink(target)
        raise
    for _target, backup in replaced:
        _discard(backup)


def _backup(target: Path) -> str | None:
    """A hard link to the current ``target`` (None when there is none or links fail)."""
    if not target.is_file() or target.is_symlink():
        return None
    name = os.path.join(target.parent, f".{target.name}.{os.getpid()}.{id(target):x}.old")
    try:
        os.link(target, name)
    except OSError:
        return None
    return name


def _discard(backup: str | None) -> None:
    if backup is not None:
        with contextlib.suppress(OSError):
            os.unlink(backup)


def _error(target: Path, exc: OSError) -> InputError:
    reason = exc.strerror or type(exc).__name__
    return InputError(f"{target}: cannot write: {reason}", path=str(target))
