"""The one path normaliser: how mbom names a file inside a model or dataset tree.

Names in BOMs, attestation subjects, manifests and Merkle leaves are POSIX paths relative to
the tree's root, with no ``.`` or ``..`` parts and no leading slash, so the same tree gives
the same names on every operating system.
"""

from __future__ import annotations

import os
import posixpath

from mbom.errors import InputError


def relative_posix(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """Return ``path`` relative to ``root`` as a normalised POSIX path.

    Raises :class:`InputError` when ``path`` is not inside ``root``.
    """
    rel = os.path.relpath(os.fspath(path), os.fspath(root))
    posix = rel.replace(os.sep, "/") if os.sep != "/" else rel
    return check_relative_name(posix)


def check_relative_name(name: str) -> str:
    """Validate a stored relative name (from a BOM or a bundle) and return it normalised.

    Rejects absolute names, ``..`` parts and empty names: a signed document must never be able
    to point a verifier outside the tree it checks.
    """
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        raise InputError(f"invalid relative path {name!r}: must be a POSIX path inside the root")
    normal = posixpath.normpath(name)
    if normal == "." or normal == ".." or normal.startswith("../"):
        raise InputError(f"invalid relative path {name!r}: leaves the root")
    return normal
