"""Is a git working tree dirty? Answered from the index and plain file reads, running nothing.

What ``git status --porcelain`` would list, decided the same way git decides it, but without
git (whose config can start programs; see :mod:`mbom.capture.git`):

* **staged changes** -- the tree the index describes is computed from its entries (the
  ``git write-tree`` algorithm) and compared with the tree of HEAD's commit (a loose object,
  or a non-delta object in a pack);
* **changed tracked files** -- each index entry (v2, v3, v4) is compared with the file: type,
  executable bit, then the stat shortcut (size, mtime, inode; never for a "racily clean"
  entry), else the blob id of its content (``"blob <n>\\0" + bytes``, SHA-1 or SHA-256);
* **untracked files** -- the tree is walked, honouring ``.gitignore`` files, ``info/exclude``
  and the user's default global ignore file.

When a fact cannot be read exactly and cheaply (content filters or end-of-line conversion
declared in ``.gitattributes``/``core.autocrlf`` and the bytes differ, a delta-compressed
commit, a sparse index, a tree or index over the bounds below) the answer is None ("unknown"),
never a guess.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import zlib
from dataclasses import dataclass

from mbom.capture._gitobjects import Unknown as _Unknown
from mbom.capture._gitobjects import commit_tree, object_id
from mbom.capture.git import Config, Repository, config_value, read_head, read_small

#: Bounds: an index file, bytes hashed, entries walked.
MAX_INDEX_BYTES = 256 * 1024 * 1024
MAX_HASHED_BYTES = 512 * 1024 * 1024
MAX_WALKED = 200_000
_CONVERTING = re.compile(rb"\b(?:filter|text|eol|ident|crlf|working-tree-encoding)\b")
_GITLINK, _LINK, _DIR = 0o160000, 0o120000, 0o040000


@dataclass(frozen=True, slots=True)
class IndexEntry:
    path: bytes
    mode: int
    oid: bytes
    stage: int
    skip: bool  # assume-valid or skip-worktree: git does not look at the file
    intent_to_add: bool
    mtime: tuple[int, int]
    ino: int
    size: int


def dirty_state(repo: Repository, commit: str, config: Config, *, depth: int = 0) -> bool | None:
    """True / False as ``git status --porcelain`` would say; None when unknown."""
    algorithm = "sha256" if len(commit) == 64 else "sha1"
    index_path = os.path.join(repo.gitdir, "index")
    try:
        if not os.path.lexists(index_path):
            return True  # a commit and no index: every tracked file is deleted in the index
        entries = parse_index(index_path, hashlib.new(algorithm).digest_size)
        if any(e.stage or e.intent_to_add for e in entries):
            return True
        head_tree = commit_tree(repo, commit)
        if head_tree is None:
            raise _Unknown
        if tree_of_index(entries, algorithm) != head_tree:
            return True
        index_mtime = os.stat(index_path).st_mtime_ns
        converts = _may_convert(repo, entries, config)
        if _tracked_changed(repo, entries, algorithm, converts, index_mtime, config, depth):
            return True
        return _has_untracked(repo, entries, config)
    except (_Unknown, OSError, ValueError, IndexError, RecursionError, struct.error, zlib.error):
        return None


def parse_index(path: str, hash_size: int) -> list[IndexEntry]:
    """The entries of a ``DIRC`` index, versions 2, 3 and 4."""
    data = read_small(path, MAX_INDEX_BYTES)
    if data is None or data[:4] != b"DIRC":
        raise _Unknown
    version, count = struct.unpack(">II", data[4:12])
    if version not in (2, 3, 4) or count > len(data) // 40:
        raise _Unknown
    entries: list[IndexEntry] = []
    offset, previous = 12, b""
    fixed = 40 + hash_size + 2
    for _ in range(count):
        fields = struct.unpack(">10I", data[offset : offset + 40])
        oid = data[offset + 40 : offset + 40 + hash_size]
        (flags,) = struct.unpack(">H", data[offset + fixed - 2 : offset + fixed])
        name_at = offset + fixed
        extended = 0
        if flags & 0x4000:
            if version < 3:
                raise _Unknown
            (extended,) = struct.unpack(">H", data[name_at : name_at + 2])
            name_at += 2
        if version == 4:
            strip, name_at = _varint(data, name_at)
            end = data.index(b"\0", name_at)
            if strip > len(previous):
                raise _Unknown
            name = previous[: len(previous) - strip] + data[name_at:end]
            offset = end + 1
        else:
            end = data.index(b"\0", name_at)
            name = data[name_at:end]
            offset += ((name_at - offset) + len(name) + 8) & ~7
        previous = name
        mode = fields[6]
        if stat.S_IFMT(mode) == _DIR:  # a sparse-index directory entry
            raise _Unknown
        entries.append(
            IndexEntry(
                path=name,
                mode=mode,
                oid=oid,
                stage=(flags >> 12) & 3,
                skip=bool(flags & 0x8000 or extended & 0x4000),
                intent_to_add=bool(extended & 0x2000),
                mtime=(fields[2], fields[3]),
                ino=fields[5],
                size=fields[9],
            )
        )
    return entries


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """git's offset encoding (index v4 path prefix lengths)."""
    byte = data[at]
    at += 1
    value = byte & 0x7F
    while byte & 0x80:
        value += 1
        byte = data[at]
        at += 1
        value = (value << 7) + (byte & 0x7F)
    return value, at


def tree_of_index(entries: list[IndexEntry], algorithm: str) -> bytes:
    """The root tree id ``git write-tree`` would write for these (stage-0) entries."""
    root: dict[bytes, object] = {}
    for entry in entries:
        *dirs, leaf = entry.path.split(b"/")
        node = root
        for part in dirs:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise _Unknown
            node = child
        node[leaf] = entry
    return _tree_id(root, algorithm)


def _tree_id(node: dict[bytes, object], algorithm: str) -> bytes:
    def order(name: bytes) -> bytes:
        return name + b"/" if isinstance(node[name], dict) else name

    body = bytearray()
    for name in sorted(node, key=order):
        child = node[name]
        if isinstance(child, dict):
            body += b"40000 " + name + b"\0" + _tree_id(child, algorithm)  # type: ignore[arg-type]
        else:
            assert isinstance(child, IndexEntry)
            body += b"%o " % _canonical_mode(child.mode) + name + b"\0" + child.oid
    return object_id(b"tree", bytes(body), algorithm)


def _canonical_mode(mode: int) -> int:
    kind = stat.S_IFMT(mode)
    if kind in (_LINK, _GITLINK):
        return kind
    return 0o100755 if mode & 0o100 else 0o100644


def _may_convert(repo: Repository, entries: list[IndexEntry], config: Config) -> bool:
    """Could the blob in the index differ from the bytes on disk by a filter or EOL rule?"""
    if (config_value(config, "core", "autocrlf") or "false").lower() not in ("false", "0", "no"):
        return True
    sources = [os.path.join(repo.commondir, "info", "attributes")]
    sources += [
        os.path.join(repo.worktree, os.fsdecode(e.path))
        for e in entries
        if e.path.rsplit(b"/", 1)[-1] == b".gitattributes"
    ]
    return any(_CONVERTING.search(read_small(path) or b"") for path in sources)


def _tracked_changed(
    repo: Repository,
    entries: list[IndexEntry],
    algorithm: str,
    converts: bool,
    index_mtime: int,
    config: Config,
    depth: int,
) -> bool:
    filemode = (config_value(config, "core", "filemode") or "true").lower() in ("true", "1", "yes")
    budget = [MAX_HASHED_BYTES]
    unknown = False
    for entry in entries:
        if entry.skip:
            continue
        path = os.path.join(repo.worktree, os.fsdecode(entry.path))
        kind = stat.S_IFMT(entry.mode)
        if kind == _GITLINK:
            state = _submodule_changed(path, entry.oid.hex(), depth)
            if state is None:
                unknown = True
            elif state:
                return True
            continue
        try:
            info = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return True
        is_link = stat.S_ISLNK(info.st_mode)
        if is_link != (kind == _LINK) or not (is_link or stat.S_ISREG(info.st_mode)):
            return True
        if filemode and not is_link and bool(info.st_mode & 0o100) != bool(entry.mode & 0o100):
            return True
        mtime = divmod(info.st_mtime_ns, 1_000_000_000)
        same_size = info.st_size & 0xFFFFFFFF == entry.size
        racy = info.st_mtime_ns >= index_mtime
        if same_size and mtime == entry.mtime and info.st_ino & 0xFFFFFFFF == entry.ino:
            if not racy:
                continue
        elif not same_size and not converts and not is_link:
            return True
        if _blob_id(path, is_link, info.st_size, algorithm, budget) == entry.oid:
            continue
        if not converts:
            return True
        unknown = True
    if unknown:
        raise _Unknown
    return False


def _blob_id(path: str, is_link: bool, size: int, algorithm: str, budget: list[int]) -> bytes:
    if is_link:
        return object_id(b"blob", os.fsencode(os.readlink(path)), algorithm)
    budget[0] -= size
    if budget[0] < 0:
        raise _Unknown
    digest = hashlib.new(algorithm, b"blob %d\0" % size)
    read = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            read += len(chunk)
    if read != size:
        raise _Unknown  # changed while read
    return digest.digest()


def _submodule_changed(path: str, recorded: str, depth: int) -> bool | None:
    from mbom.capture.git import _git_dir_at

    if not os.path.isdir(path) or os.path.islink(path):
        return not os.path.isdir(path) and os.path.lexists(path)
    repo = _git_dir_at(path)
    if repo is None:
        return False  # not checked out: git status shows nothing
    head = read_head(repo)
    if head is None or head[0] != recorded:
        return True
    if depth >= 1:
        return None
    from mbom.capture.git import read_config

    return dirty_state(repo, head[0], read_config(os.path.join(repo.commondir, "config")), depth=1)


def _has_untracked(repo: Repository, entries: list[IndexEntry], config: Config) -> bool:
    """Any file git would list as ``??`` (not tracked, not ignored)?"""
    import pathspec

    tracked = {e.path for e in entries}
    base_specs = [_spec(os.path.join(repo.commondir, "info", "exclude"))]
    base_specs.append(_spec(_global_ignore(config)))
    walked = 0
    stack: list[tuple[str, bytes, list[tuple[bytes, pathspec.GitIgnoreSpec]]]] = [
        (repo.worktree, b"", [])
    ]
    while stack:
        directory, prefix, specs = stack.pop()
        here = _spec(os.path.join(directory, ".gitignore"))
        if here is not None:
            specs = [*specs, (prefix, here)]
        with os.scandir(directory) as listing:
            children = list(listing)
        walked += len(children)
        if walked > MAX_WALKED:
            raise _Unknown
        for child in children:
            name = os.fsencode(child.name)
            if name == b".git":
                continue
            rel = prefix + name
            if rel in tracked:
                continue
            is_dir = child.is_dir(follow_symlinks=False)
            if _ignored(rel + b"/" if is_dir else rel, specs, base_specs):
                continue
            if is_dir:  # git lists a directory only for an untracked, unignored file in it
                stack.append((child.path, rel + b"/", specs))
                continue
            return True
    return False


def unignored_in_worktree(path: str) -> Repository | None:
    """The repository whose work tree holds ``path`` when git would not ignore it (so
    ``git add .`` would commit it), else None. ``.gitignore`` files from the work tree's root
    down to ``path``, ``info/exclude`` and the global excludes file decide, as for git status.
    """
    from mbom.capture.git import discover, read_config

    full = os.path.abspath(path)
    repo = discover(os.path.dirname(full))
    if repo is None:
        return None
    rel = os.path.relpath(full, repo.worktree)
    if rel.startswith(os.pardir):
        return None
    config = read_config(os.path.join(repo.commondir, "config"))
    base_specs = [_spec(os.path.join(repo.commondir, "info", "exclude"))]
    base_specs.append(_spec(_global_ignore(config)))
    specs: list = []
    parts = rel.split(os.sep)
    for depth in range(len(parts)):
        prefix = "".join(f"{part}/" for part in parts[:depth])
        here = _spec(os.path.join(repo.worktree, *parts[:depth], ".gitignore"))
        if here is not None:
            specs.append((os.fsencode(prefix), here))
        if depth and _ignored(os.fsencode(prefix), specs[:-1] if here else specs, base_specs):
            return None  # an ignored directory: git never looks inside
    return None if _ignored(os.fsencode("/".join(parts)), specs, base_specs) else repo


def _spec(path: str | None):  # -> pathspec.GitIgnoreSpec | None
    import pathspec

    data = read_small(path) if path else None
    if not data:
        return None
    return pathspec.GitIgnoreSpec.from_lines(data.decode("utf-8", "replace").splitlines())


def _ignored(rel: bytes, specs: list, base_specs: list) -> bool:
    """The deepest ``.gitignore`` with a matching pattern decides, then the repository-wide ones."""
    text = os.fsdecode(rel)
    for prefix, spec in reversed(specs):
        result = spec.check_file(text[len(os.fsdecode(prefix)) :])
        if result.include is not None:
            return bool(result.include)
    for spec in base_specs:
        if spec is not None:
            result = spec.check_file(text)
            if result.include is not None:
                return bool(result.include)
    return False


def _global_ignore(config: Config) -> str | None:
    named = config_value(config, "core", "excludesfile")
    if named:
        return os.path.expanduser(named)
    home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(home, "git", "ignore")
