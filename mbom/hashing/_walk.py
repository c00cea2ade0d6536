"""Deterministic directory walk: which files a tree digest covers, and why others are left out.

Rules (documented in docs/directory-digest.md):

* every regular file is included unless an ignore rule matches it; nothing is skipped
  silently -- ignored paths are returned so callers can report them;
* ignore rules are the default set plus the root's ``.mbomignore`` (gitignore syntax), both
  defined in :mod:`mbom.hashing._ignore`; a file a loader could execute is never ignored;
* a symbolic link is never followed: it is recorded as a link with its target, and refused
  when its target resolves outside the root -- unless the caller names an enclosing
  ``follow_within`` directory and the link resolves to a regular file inside it: then the
  file is hashed under the link's name (a Hugging Face cache snapshot, whose files link to
  ``../../blobs/<oid>``, digests like the same files downloaded to a plain directory);
* anything else (FIFO, socket, device) is refused: reading it could block or lie;
* a verifier passes ``anomalies``: then an escaping link, a special file, an undecodable
  name or an unreadable directory is recorded there (an :class:`Anomaly`) instead of raised,
  and the walk goes on -- on a model being verified these are findings, not input errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from mbom.errors import InputError, SymlinkEscapeError, UnreadableFileError
from mbom.hashing._ignore import (
    DEFAULT_IGNORE_SUFFIXES,
    ProducerIgnore,
    default_ignored,
    is_loadable,
    producer_ignore,
)

#: Anomaly kinds (each is also the id of the verify check that reports it).
SYMLINK_ESCAPE = "symlink-escape"
SPECIAL_FILE = "special-file"
FILE_NAME = "file-name"
UNREADABLE = "unreadable-file"


@dataclass(frozen=True, slots=True)
class Anomaly:
    """Something in a tree that cannot be hashed as a file, found while verifying."""

    path: str
    """POSIX path relative to the root (directories end in "/"); bytes that are not UTF-8
    are shown as ``\\xNN`` escapes."""
    kind: str
    """One of SYMLINK_ESCAPE, SPECIAL_FILE, FILE_NAME, UNREADABLE."""
    detail: str
    """What was found, one line (a link's target, the file type, the OS error)."""


def printable(rel: str) -> str:
    """A walked name (surrogate-escaped bytes) as text that can be printed and encoded."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


# One walked regular file: (relative POSIX path, path to open). Sizes and identities are read
# later with fstat on the opened file, by the workers that hash it: one syscall instead of two.
FileRow = tuple[str, str]
# One walked symbolic link: (relative POSIX path, link target as stored in the link)
LinkRow = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Walk:
    """What a walk found (each list sorted by path, from :func:`walk_tree`)."""

    files: list[FileRow]
    links: list[LinkRow]
    ignored: list[str]


def _check_name(rel: str) -> str:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{rel!r}: file name is not valid UTF-8; rename it") from None
    return rel


#: Entries a streamed walk hands over at a time (one hashing batch).
BATCH = 20_000
#: The first piece's size; each next one is twice as large, up to :data:`BATCH`. The
#: workers hash a piece while the next is listed, so a small first piece puts them to work
#: early instead of after 20,000 entries listed serially (60 ms here; 20,000 x 4 KiB,
#: 25 runs each: 0.322-0.343 s -> 0.316-0.317 s, within the noise of this VM).
FIRST_BATCH = 1_250


def walk_tree(
    root: str,
    *,
    use_ignore: bool = True,
    extra_ignore: Sequence[str] = (),
    follow_within: str | None = None,
    ignore_file: bool = True,
    anomalies: list[Anomaly] | None = None,
) -> Walk:
    """Walk ``root`` (a directory) and return its files, links and ignored paths, sorted.

    Links resolving to a regular file inside ``follow_within`` are returned as files (the
    path to open is the resolved target). With ``anomalies`` (a list), what cannot be hashed
    is appended there instead of raised. (Holds the whole listing: :func:`stream_walk` is
    the same walk in bounded pieces.)
    """
    files: list[FileRow] = []
    links: list[LinkRow] = []
    ignored: list[str] = []
    for piece in stream_walk(
        root,
        use_ignore=use_ignore,
        extra_ignore=extra_ignore,
        follow_within=follow_within,
        ignore_file=ignore_file,
        anomalies=anomalies,
    ):
        files += piece.files
        links += piece.links
        ignored += piece.ignored
    files.sort()
    links.sort()
    ignored.sort()
    return Walk(files=files, links=links, ignored=ignored)


def stream_walk(
    root: str,
    *,
    use_ignore: bool = True,
    extra_ignore: Sequence[str] = (),
    follow_within: str | None = None,
    ignore_file: bool = True,
    anomalies: list[Anomaly] | None = None,
    batch: int | None = None,
) -> Iterator[Walk]:
    """The walk of :func:`walk_tree` in pieces of about ``batch`` entries.

    Depth first, in order: each directory's entries are sorted by name, a directory's as
    ``name + "/"``, and a directory is walked where it sorts, so the pieces follow the UTF-8
    byte order of full paths (docs/directory-digest.md) and the sort after hashing is a
    concatenation. A directory of more than :data:`SORT_LIMIT` entries is read through the
    ``scandir`` iterator unsorted instead (never held as a list); callers sort anyway, so
    order is a speed-up, never relied on. Memory: one piece plus the listings of the
    directories being walked. The pieces grow from :data:`FIRST_BATCH` to ``batch``.
    """
    batch = BATCH if batch is None else batch
    size = min(FIRST_BATCH, batch)
    walker = _Walker(root, follow_within, anomalies)
    if use_ignore:
        walker.producer = producer_ignore(root, extra_ignore, ignore_file=ignore_file)
    else:
        walker.defaults = False
    found: list[tuple[str, str]] = []  # directories visit() decided to enter
    stack: list[_Listing] = []
    listing = walker.listing(root, "")
    if listing is not None:
        stack.append(listing)
    visit = walker.visit
    # The common entry -- a regular file, ASCII name, no ignore rule that could match it --
    # is taken here without a call: this loop runs once per file of the tree.
    plain = walker.producer is None
    suffixes = DEFAULT_IGNORE_SUFFIXES
    taken = 0  # entries since the last piece
    while stack:
        current = stack[-1]
        try:
            entry = next(current.entries, None)
        except OSError as exc:
            walker.unlistable(current.directory, current.prefix, exc)
            entry = None
        if entry is None:
            current.close()
            stack.pop()
            continue
        rel = current.prefix + entry.name
        taken += 1
        try:
            if (
                plain
                and rel.isascii()
                and not rel.endswith(suffixes)
                and entry.is_file(follow_symlinks=False)
            ):
                walker.files.append((rel, entry.path))
            else:
                visit(entry, rel, found)
        except OSError as exc:
            walker.problem(
                rel,
                UNREADABLE,
                exc.strerror or str(exc),
                UnreadableFileError(f"{entry.path}: {exc.strerror}", path=entry.path),
            )
        if found:
            directory, prefix = found.pop()
            listing = walker.listing(directory, prefix)
            if listing is not None:
                stack.append(listing)
        if taken >= size:
            taken, size = 0, min(size * 2, batch)
            yield walker.take()
    yield walker.take()


#: Directories with more entries than this are walked in ``scandir`` order (not sorted).
SORT_LIMIT = 50_000


def _sort_key(entry: os.DirEntry) -> str:
    """Where an entry sorts among its siblings: a directory as its name + "/" (its files)."""
    name = entry.name
    try:
        return name + "/" if entry.is_dir(follow_symlinks=False) else name
    except OSError:
        return name


class _Listing:
    """The entries of one directory still to visit: a sorted list, or a scandir iterator."""

    __slots__ = ("_scan", "directory", "entries", "prefix")

    def __init__(self, directory: str, prefix: str, entries: Iterator, scan: object) -> None:
        self.directory, self.prefix, self.entries, self._scan = directory, prefix, entries, scan

    def close(self) -> None:
        if self._scan is not None:
            self._scan.close()  # type: ignore[attr-defined]
            self._scan = None


class _Walker:
    """The state of one walk and the decision for each entry."""

    def __init__(self, root: str, follow_within: str | None, anomalies: list | None) -> None:
        self.root_real = os.path.realpath(root)
        self.outer = os.path.realpath(follow_within) if follow_within is not None else None
        self.anomalies = anomalies
        self.producer: ProducerIgnore | None = None
        self.defaults = True
        self.files: list[FileRow] = []
        self.links: list[LinkRow] = []
        self.ignored: list[str] = []

    def take(self) -> Walk:
        """What was found since the last call (and forget it)."""
        piece = Walk(files=self.files, links=self.links, ignored=self.ignored)
        self.files, self.links, self.ignored = [], [], []
        return piece

    def listing(self, directory: str, prefix: str) -> _Listing | None:
        """A directory's entries, sorted when there are at most SORT_LIMIT of them."""
        try:
            scan = os.scandir(directory)
        except OSError as exc:
            self.unlistable(directory, prefix, exc)
            return None
        head: list[os.DirEntry] = []
        try:
            for entry in scan:
                head.append(entry)
                if len(head) > SORT_LIMIT:
                    import itertools

                    return _Listing(directory, prefix, itertools.chain(head, scan), scan)
        except OSError as exc:
            self.unlistable(directory, prefix, exc)
        scan.close()
        head.sort(key=_sort_key)
        return _Listing(directory, prefix, iter(head), None)

    def unlistable(self, directory: str, prefix: str, exc: OSError) -> None:
        self.problem(
            prefix or "./",
            UNREADABLE,
            f"cannot list directory: {exc.strerror}",
            UnreadableFileError(f"{directory}: cannot list directory: {exc.strerror}"),
        )

    def problem(self, rel: str, kind: str, detail: str, error: InputError) -> None:
        """Record an anomaly (verifying) or raise ``error`` (the user's own input)."""
        if self.anomalies is None:
            raise error
        self.anomalies.append(Anomaly(printable(rel), kind, detail))

    def _ignore(self, entry: os.DirEntry, rel: str, is_dir: bool) -> bool:
        """Is ``entry`` left out? Raises when the producer's pattern would hide code."""
        if (
            self.defaults
            and not is_dir
            and default_ignored(rel, lambda: entry.stat(follow_symlinks=False))
        ):
            self.ignored.append(rel)
            return True
        producer = self.producer
        if producer is None or not producer.match(rel + "/" if is_dir else rel):
            return False
        if is_dir:
            hidden = _loadable_inside(entry.path, rel + "/")
            if hidden is not None:
                raise producer.refuse(hidden)
            self.ignored.append(rel + "/")
            return True
        if is_loadable(rel, entry.stat(follow_symlinks=False).st_mode):
            raise producer.refuse(rel)
        self.ignored.append(rel)
        return True

    def visit(self, entry: os.DirEntry, rel: str, stack: list[tuple[str, str]]) -> None:
        """Record one entry; a directory to walk is appended to ``stack``."""
        if self.anomalies is not None and not _decodes(rel):
            self.problem(rel, FILE_NAME, "file name is not valid UTF-8", InputError(rel))
            return
        if entry.is_symlink():
            if self._ignore(entry, rel, False):
                return
            target = _followed_file(entry.path, self.outer) if self.outer is not None else None
            if target is not None:
                self.files.append((_check_name(rel), target))
                return
            stored = os.readlink(entry.path)
            if not _inside(os.path.realpath(entry.path), self.root_real):
                self.problem(
                    rel,
                    SYMLINK_ESCAPE,
                    f"symbolic link to {printable(stored)!r} leaves the directory",
                    SymlinkEscapeError(rel, stored),
                )
                return
            self.links.append((_check_name(rel), stored))
        elif entry.is_dir(follow_symlinks=False):
            if not self._ignore(entry, rel, True):
                stack.append((entry.path, rel + "/"))
        elif entry.is_file(follow_symlinks=False):  # d_type: no stat call
            if not self._ignore(entry, rel, False):
                self.files.append((_check_name(rel), entry.path))
        elif not self._ignore(entry, rel, False):
            kind = _file_type(entry)
            self.problem(
                rel,
                SPECIAL_FILE,
                f"{kind}, not a regular file, directory or symbolic link",
                UnreadableFileError(
                    f"{entry.path}: not a regular file, directory or symbolic link; "
                    "remove it or add it to .mbomignore",
                    path=entry.path,
                ),
            )


def _decodes(rel: str) -> bool:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _file_type(entry: os.DirEntry) -> str:
    import stat

    mode = entry.stat(follow_symlinks=False).st_mode
    for test, name in (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
    ):
        if test(mode):
            return name
    return "special file"


def _loadable_inside(directory: str, prefix: str) -> str | None:
    """The first loadable file under an ignored directory (listing only, nothing read)."""
    stack = [(directory, prefix)]
    while stack:
        path, rel_prefix = stack.pop()
        try:
            with os.scandir(path) as entries:
                listing = sorted(entries, key=lambda e: e.name)
        except OSError:
            continue
        for entry in listing:
            rel = rel_prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, rel + "/"))
            elif is_loadable(rel, entry.stat(follow_symlinks=False).st_mode):
                return rel
    return None


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _followed_file(path: str, outer: str) -> str | None:
    """The resolved target of a link to a regular file inside ``outer``, else None."""
    resolved = os.path.realpath(path)
    if _inside(resolved, outer) and os.path.isfile(resolved) and not os.path.islink(resolved):
        return resolved
    return None
