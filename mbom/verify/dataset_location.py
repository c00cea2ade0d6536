"""Where ``verify --datasets ROOT`` finds a dataset: under a local folder or a URL prefix.

Usage::

    from mbom.verify.dataset_location import locate_dataset, shown

    path = locate_dataset("data/", "train", "corpora/train")       # "data/corpora/train"
    path = locate_dataset("s3://bucket/", "train", "s3://bucket/datasets/train")
    # -> "s3://bucket/datasets/train": re-hashed where it lives

A local ROOT is searched at ``ROOT/<recorded location>`` (when relative), ``ROOT/<name>``,
then ``ROOT/<last part of the location>``. A URL ROOT (``s3://bucket[/prefix]``, any fsspec
URL) is searched the same way, and a dataset recorded at a URL under that prefix is found at
its recorded URL: the verifier says which store may be read (a signed BOM, or a forged one
whose signature is still to fail, never sends mbom to a host the verifier did not name).
Credentials and endpoints come from the environment, as for every remote location.
"""

from __future__ import annotations

import os
import posixpath

from mbom.errors import InputError, RemoteAccessError
from mbom.hashing._location import is_remote


def locate_dataset(root: str, name: str, location: str) -> str | None:
    """The dataset's path or URL under ``root``; None when no candidate exists.

    Raises :class:`~mbom.errors.RemoteAccessError` when the store cannot be asked at all
    (credentials, network): that is not "not found".
    """
    if is_remote(root):
        return next((c for c in _remote_candidates(root, name, location) if _exists(c)), None)
    candidates = []
    if _relative(location):
        candidates.append(os.path.join(root, location))
    candidates += [
        os.path.join(root, name),
        os.path.join(root, os.path.basename(location.rstrip("/"))),
    ]
    return next((c for c in candidates if os.path.lexists(c)), None)


def not_found(root: str, name: str, location: str) -> str:
    """The one-line reason a dataset was not found, with what to do when it lives remotely."""
    message = f"dataset {name}: not found under {shown(root)}"
    if is_remote(location) and not is_remote(root):
        scheme, _, rest = location.partition("://")
        bucket = rest.partition("/")[0]
        message += f" (recorded at {location}: --datasets {scheme}://{bucket}/ re-hashes it there)"
    return message


def shown(root: str) -> str:
    """``root`` as it may be printed (a URL without credentials or query string)."""
    if not is_remote(root):
        return root
    from mbom.hashing._redact import display_url

    return display_url(root)


def _relative(location: str) -> bool:
    return bool(location) and not os.path.isabs(location) and "://" not in location


def _remote_candidates(root: str, name: str, location: str) -> list[str]:
    prefix = root.rstrip("/")
    candidates = []
    if is_remote(location) and (location == prefix or location.startswith(prefix + "/")):
        candidates.append(location)
    if _relative(location):
        candidates.append(f"{prefix}/{posixpath.normpath(location)}")
    candidates.append(f"{prefix}/{name}")
    last = location.rstrip("/").rpartition("/")[2]
    if last:
        candidates.append(f"{prefix}/{last}")
    return list(dict.fromkeys(candidates))


def _exists(url: str) -> bool:
    from mbom.hashing._location import open_location

    try:
        return open_location(url).stat_root().exists
    except RemoteAccessError:
        raise
    except InputError:  # "no such object or prefix", or a name the store cannot hold
        return False
