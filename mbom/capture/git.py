"""The code commit a model was trained from, read with the ``git`` executable.

A BOM's formulation names the commit, branch and remote of the training code and whether the
working tree had uncommitted changes (then the commit alone does not reproduce the run).
Nothing here raises: no git, no repository, a hung git all give None. Remote URLs are published
in the BOM, so credentials embedded in them (``https://user:token@host/...``) are removed.

Hardening: git runs with ``GIT_OPTIONAL_LOCKS=0`` (``status`` does not rewrite the index),
``GIT_TERMINAL_PROMPT=0`` and ``core.fsmonitor=false`` (a repository's own config cannot make
``git status`` start a program).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from mbom.capture._run import run_tool

GIT_TIMEOUT_S = 10.0
_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
_WEB_SCHEMES = frozenset({"http", "https"})
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")

_Git = Callable[..., "str | None"]


@dataclass(frozen=True, slots=True)
class GitRecord:
    """State of a git working tree."""

    commit: str
    """Full hex object name of HEAD."""
    branch: str | None
    """Short branch name; None when HEAD is detached."""
    remote_url: str | None
    """URL of ``origin`` (else the first remote by name), credentials removed; None if none."""
    dirty: bool
    """True when ``git status --porcelain`` lists anything (untracked files included)."""


def capture_git(path: str | os.PathLike[str] | Path) -> GitRecord | None:
    """Describe the git repository containing ``path``; None when that is not possible."""
    where = os.fspath(path)

    def git(*args: str) -> str | None:
        return run_tool(
            ["git", "-C", where, "-c", "core.fsmonitor=false", *args],
            timeout=GIT_TIMEOUT_S,
            env=_GIT_ENV,
        )

    commit = git("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if not commit or not commit.strip():
        return None
    status = git("status", "--porcelain")
    if status is None:
        return None
    branch = git("symbolic-ref", "--quiet", "--short", "HEAD")
    return GitRecord(
        commit=commit.strip(),
        branch=(branch or "").strip() or None,
        remote_url=_remote_url(git),
        dirty=bool(status.strip()),
    )


def _remote_url(git: _Git) -> str | None:
    remotes = sorted((git("remote") or "").split())
    if not remotes:
        return None
    chosen = "origin" if "origin" in remotes else remotes[0]
    url = (git("remote", "get-url", chosen) or "").strip()
    return strip_credentials(url) if url else None


def strip_credentials(url: str) -> str:
    """Remove secrets from a remote URL.

    For http(s) URLs the whole user-info part (``user:token@``), the query and the fragment are
    dropped (tokens live there too). For other URLs with a scheme (``ssh://git@host/x``) only a
    password is dropped: the user name is needed to reach the host and is no secret. scp-like
    ``git@host:path`` and local paths are returned unchanged.
    """
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:  # unparseable (bad port...): still never leak a user-info part
        return _USERINFO.sub(r"\1", url)
    if host is None:
        return _USERINFO.sub(r"\1", url)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    if parts.scheme.lower() in _WEB_SCHEMES:
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
