"""Read a BOM someone else wrote, for ``inspect``, ``diff`` and ``verify``.

Third-party BOMs are untrusted input: the file is size-capped before it is parsed, and every
way it can be wrong (missing, unreadable, not JSON, not an object, not CycloneDX) becomes one
:class:`~mbom.errors.InputError` with a one-line message naming the file. Schema validity is
not required here; that is :mod:`mbom.bom.validate`'s job.
"""

from __future__ import annotations

import os
from typing import Any

from mbom._lazy import lazy_exports
from mbom.errors import InputError, MalformedFileError, UnreadableFileError
from mbom.load import load_json

#: The summary's names, loaded on first use: validate and generate read BOMs without
#: summarising them (its dataclasses cost ~13 ms to create).
_SUMMARY_NAMES = {"BomSummary": "summary", "summarize_bom": "summary"}

__all__ = sorted(["MAX_BOM_BYTES", "check_bom", "load_bom", "read_bom_bytes", *_SUMMARY_NAMES])

__getattr__, __dir__ = lazy_exports("mbom.bom", _SUMMARY_NAMES, globals())


#: Largest BOM read (256 MiB). Big-dataset BOMs keep per-file digests in a sidecar manifest.
MAX_BOM_BYTES = 256 * 1024 * 1024


def read_bom_bytes(path: str | os.PathLike[str], *, max_bytes: int = MAX_BOM_BYTES) -> bytes:
    """The raw bytes of the BOM file at ``path``, refusing files over ``max_bytes``."""
    name = os.fspath(path)
    try:
        if os.path.isdir(name):
            raise InputError(f"{name}: is a directory, not a BOM file", path=name)
        if os.path.exists(name) and not os.path.isfile(name):  # a FIFO would block open()
            raise UnreadableFileError(f"{name}: not a regular file", path=name)
        with open(name, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file", path=name) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UnreadableFileError(f"{name}: cannot read: {reason}", path=name) from None
    if len(data) > max_bytes:
        raise MalformedFileError(
            f"{name}: larger than the {max_bytes // (1024 * 1024)} MiB limit for a BOM", path=name
        )
    return data


def cyclonedx_problem(doc: Any) -> str | None:
    """Why a parsed JSON value is not a CycloneDX BOM, or ``None`` when it looks like one."""
    if not isinstance(doc, dict):
        kind = "an array" if isinstance(doc, list) else f"a {type(doc).__name__}"
        return f"not a CycloneDX BOM: the JSON document is {kind}, not an object"
    if doc.get("bomFormat") != "CycloneDX":
        found = doc.get("bomFormat")
        got = "missing" if found is None else f"{found!r}"
        return f"not a CycloneDX BOM: bomFormat is {got}, expected 'CycloneDX'"
    return None


def load_bom(path: str | os.PathLike[str], *, max_bytes: int = MAX_BOM_BYTES) -> dict[str, Any]:
    """Parse the CycloneDX JSON BOM at ``path`` (not schema-validated).

    Raises :class:`~mbom.errors.MalformedFileError` (exit code 2) when it is not JSON or not a
    CycloneDX document, and :class:`~mbom.errors.InputError` when it cannot be read.
    """
    name = os.fspath(path)
    data = read_bom_bytes(name, max_bytes=max_bytes)
    doc = load_json(data, name)
    return check_bom(doc, name)


def check_bom(doc: Any, name: str) -> dict[str, Any]:
    """``doc`` when it is a CycloneDX BOM whose fields have the JSON types readers rely on
    (:mod:`mbom.bom.shape`), else :class:`~mbom.errors.MalformedFileError` naming the field."""
    from mbom.bom.shape import bom_shape_problem

    problem = cyclonedx_problem(doc) or bom_shape_problem(doc)
    if problem is not None:
        raise MalformedFileError(f"{name}: {problem}", path=name)
    return doc
