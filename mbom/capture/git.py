"""The code commit a model was trained from, read from ``.git`` as plain data.

A BOM's formulation names the commit, branch and remote of the training code and whether the
working tree had uncommitted changes (then the commit alone does not reproduce the run).

Nothing is executed: no ``git`` process, no library that honours a repository's config. A
repository's own ``.git/config`` can name programs (clean filters, ``core.fsmonitor``, hooks,
textconv, external diff, pager, ``sshCommand``); running ``git status`` in it runs them. So the
facts are read with plain file reads: ``HEAD`` -> ref -> loose ref or ``packed-refs``;
worktrees' ``gitdir:`` files and ``commondir``; the remote URL from ``config`` parsed as data
(``include``/``includeIf`` are not followed); the dirty state from the index (see
:mod:`mbom.capture._gitstatus`). Every read is bounded. Nothing here raises: no repository, a
repository in a form this reader does not know (reftable), an unreadable file all give None.
Remote URLs are published in the BOM, so credentials embedded in them are removed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

#: Small files (HEAD, refs, config, gitdir pointers) are read up to this many bytes.
MAX_SMALL_FILE = 1024 * 1024
#: ``packed-refs`` larger than this is not read (the ref is then unknown).
MAX_PACKED_REFS = 64 * 1024 * 1024
_MAX_SYMREF_DEPTH = 5
_HEX = re.compile(rb"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_REFNAME = re.compile(r"^refs/(?:[A-Za-z0-9._+@-]+/)*[A-Za-z0-9._+@-]+$")
_PER_WORKTREE = ("refs/bisect/", "refs/worktree/", "refs/rewritten/")
_WEB_SCHEMES = frozenset({"http", "https"})
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


@dataclass(frozen=True, slots=True)
class GitRecord:
    """State of a git working tree."""

    commit: str
    """Full hex object name of HEAD."""
    branch: str | None
    """Short branch name; None when HEAD is detached."""
    remote_url: str | None
    """URL of ``origin`` (else the first remote by name), credentials removed; None if none."""
    dirty: bool | None
    """True when tracked files changed, something is staged or untracked files exist (what
    ``git status --porcelain`` would list); None when that cannot be judged cheaply and
    exactly (content filters, an object in a form not read here, a tree too large)."""


@dataclass(frozen=True, slots=True)
class Repository:
    """Where a working tree keeps its metadata."""

    worktree: str
    gitdir: str
    """Per-worktree metadata: HEAD, index."""
    commondir: str
    """Shared metadata: refs, packed-refs, objects, config (== gitdir outside linked worktrees)."""


def capture_git(path: str | os.PathLike[str] | Path) -> GitRecord | None:
    """Describe the git repository containing ``path``; None when that is not possible."""
    try:
        return _capture(os.path.abspath(os.fspath(path)), depth=0)
    except (OSError, ValueError, UnicodeError):
        return None


def _capture(start: str, depth: int) -> GitRecord | None:
    from mbom.capture._gitstatus import dirty_state

    repo = discover(start)
    if repo is None:
        return None
    head = read_head(repo)
    if head is None:
        return None
    commit, branch = head
    config = read_config(os.path.join(repo.commondir, "config"))
    return GitRecord(
        commit=commit,
        branch=branch,
        remote_url=_remote_url(config),
        dirty=dirty_state(repo, commit, config, depth=depth),
    )


def read_small(path: str, limit: int = MAX_SMALL_FILE) -> bytes | None:
    """A regular file's bytes (links not followed), or None if absent, special or too large."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not _is_regular(info.st_mode) or info.st_size > limit:
            return None
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return None if len(data) > limit else data
    finally:
        os.close(fd)


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


def discover(start: str) -> Repository | None:
    """The repository whose working tree holds ``start``, honouring GIT_CEILING_DIRECTORIES.

    A ``.git`` that is a symbolic link is not followed (it could point anywhere); a ``.git``
    file (linked worktree, submodule) is followed once to the ``gitdir:`` it names.
    """
    ceilings = {
        os.path.abspath(p) for p in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(":") if p
    }
    current = start if os.path.isdir(start) else os.path.dirname(start)
    while True:
        found = _git_dir_at(current)
        if found is not None:
            return found
        parent = os.path.dirname(current)
        if parent == current or parent in ceilings:
            return None
        current = parent


def _git_dir_at(worktree: str) -> Repository | None:
    dot_git = os.path.join(worktree, ".git")
    if os.path.islink(dot_git):
        return None
    if os.path.isdir(dot_git):
        gitdir = dot_git
    elif os.path.isfile(dot_git):
        data = read_small(dot_git, 4096)
        if data is None or not data.startswith(b"gitdir:"):
            return None
        named = os.fsdecode(data[len(b"gitdir:") :].strip())
        gitdir = os.path.normpath(os.path.join(worktree, named))
        if not os.path.isdir(gitdir):
            return None
    else:
        return None
    if read_small(os.path.join(gitdir, "HEAD"), 4096) is None:
        return None
    commondir = gitdir
    pointer = read_small(os.path.join(gitdir, "commondir"), 4096)
    if pointer is not None:
        commondir = os.path.normpath(os.path.join(gitdir, os.fsdecode(pointer.strip())))
    return Repository(worktree=worktree, gitdir=gitdir, commondir=commondir)


def read_head(repo: Repository) -> tuple[str, str | None] | None:
    """(commit hex, branch or None when detached), or None when HEAD names no commit yet."""
    data = read_small(os.path.join(repo.gitdir, "HEAD"), 4096)
    if data is None:
        return None
    content = data.strip()
    if _HEX.match(content):
        return content.decode("ascii"), None
    if not content.startswith(b"ref:"):
        return None
    ref = content[4:].strip().decode("utf-8")
    branch = ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else None
    commit = resolve_ref(repo, ref)
    return (commit, branch) if commit is not None else None


def resolve_ref(repo: Repository, ref: str, depth: int = 0) -> str | None:
    """The object a ref names: loose ref file first, then ``packed-refs``; symrefs followed."""
    if depth > _MAX_SYMREF_DEPTH or not _REFNAME.match(ref) or ".." in ref:
        return None
    base = repo.gitdir if ref.startswith(_PER_WORKTREE) else repo.commondir
    data = read_small(os.path.join(base, *ref.split("/")), 4096)
    if data is not None:
        content = data.strip()
        if _HEX.match(content):
            return content.decode("ascii")
        if content.startswith(b"ref:"):
            return resolve_ref(repo, content[4:].strip().decode("utf-8"), depth + 1)
        return None
    packed = read_small(os.path.join(repo.commondir, "packed-refs"), MAX_PACKED_REFS)
    wanted = ref.encode("utf-8")
    for line in (packed or b"").splitlines():
        if line.startswith((b"#", b"^")):
            continue
        value, _, name = line.partition(b" ")
        if name.strip() == wanted and _HEX.match(value):
            return value.decode("ascii")
    return None


Config = dict[tuple[str, str | None, str], list[str]]


def read_config(path: str) -> Config:
    """A git config file parsed as data: (section, subsection, key) -> values, in order.

    Section and key names are case-insensitive (lower-cased here), subsections are not.
    ``include`` and ``includeIf`` are NOT followed: this reader needs only a few keys of the
    repository's own file, and an included file could be anywhere.
    """
    data = read_small(path)
    config: Config = {}
    if data is None:
        return config
    section: tuple[str, str | None] = ("", None)
    lines = data.decode("utf-8", "replace").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        while line.endswith("\\") and index < len(lines):  # continuation
            line = line[:-1] + lines[index].strip()
            index += 1
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            header = _section_header(line)
            if header is not None:
                section, line = header
            if not line:
                continue
        key, has_value, raw = line.partition("=")
        key = key.strip().lower()
        if not re.fullmatch(r"[a-z][a-z0-9-]*", key):
            continue
        value = _config_value(raw) if has_value else "true"
        config.setdefault((section[0], section[1], key), []).append(value)
    return config


def _section_header(line: str) -> tuple[tuple[str, str | None], str] | None:
    match = re.match(r'\[\s*([A-Za-z0-9.-]+)\s*(?:"((?:[^"\\]|\\.)*)")?\s*\]', line)
    if match is None:
        return None
    name, sub = match.group(1), match.group(2)
    if sub is not None:
        sub = re.sub(r"\\(.)", r"\1", sub)
    elif "." in name:  # deprecated [section.subsection]
        name, _, sub = name.partition(".")
    return (name.lower(), sub), line[match.end() :].strip()


def _config_value(raw: str) -> str:
    out: list[str] = []
    quoted = False
    escapes = {"n": "\n", "t": "\t", "b": "\b", '"': '"', "\\": "\\"}
    chars = iter(raw.strip())
    for char in chars:
        if char == "\\":
            out.append(escapes.get(next(chars, ""), ""))
        elif char == '"':
            quoted = not quoted
        elif char in "#;" and not quoted:
            break
        else:
            out.append(char)
    return "".join(out).strip()


def config_value(config: Config, section: str, key: str, sub: str | None = None) -> str | None:
    """The last value of ``section.[sub.]key`` (git's "last one wins"), or None."""
    values = config.get((section, sub, key))
    return values[-1] if values else None


def _remote_url(config: Config) -> str | None:
    remotes = sorted({sub for (section, sub, key) in config if section == "remote" and sub})
    remotes = [name for name in remotes if config.get(("remote", name, "url"))]
    if not remotes:
        return None
    chosen = "origin" if "origin" in remotes else remotes[0]
    url = config[("remote", chosen, "url")][0].strip()
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
