"""Deterministic directory walk: which files a tree digest covers, and why others are left out.

Rules (documented in docs/directory-digest.md):

* every regular file is included unless an ignore pattern matches it; nothing is skipped
  silently -- ignored paths are returned so callers can report them;
* ignore patterns are the default set below plus the root's ``.mbomignore`` (gitignore syntax);
* a symbolic link is never followed: it is recorded as a link with its target, and refused
  when its target resolves outside the root -- unless the caller names an enclosing
  ``follow_within`` directory and the link resolves to a regular file inside it: then the
  file is hashed under the link's name (a Hugging Face cache snapshot, whose files link to
  ``../../blobs/<oid>``, digests like the same files downloaded to a plain directory);
* anything else (FIFO, socket, device) is refused: reading it could block or lie.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mbom.errors import InputError, SymlinkEscapeError, UnreadableFileError

IGNORE_FILE = ".mbomignore"

#: Always ignored, at any depth: version-control metadata directories ...
DEFAULT_IGNORE_DIRS: tuple[str, ...] = (".git", ".hg", ".svn", ".mbom")
#: ... and the files mbom itself writes beside a model (BOMs, bundles, dataset manifests).
DEFAULT_IGNORE_SUFFIXES: tuple[str, ...] = (".sigstore.json", ".cdx.json", ".cdx.manifest.jsonl")
#: The same default set in gitignore syntax (what docs/ and ``.mbomignore`` users see).
DEFAULT_IGNORE_PATTERNS: tuple[str, ...] = (
    *(f"{name}/" for name in DEFAULT_IGNORE_DIRS),
    *(f"*{suffix}" for suffix in DEFAULT_IGNORE_SUFFIXES),
)

# One walked regular file: (relative POSIX path, path to open). Sizes and identities are read
# later with fstat on the opened file, by the workers that hash it: one syscall instead of two.
FileRow = tuple[str, str]
# One walked symbolic link: (relative POSIX path, link target as stored in the link)
LinkRow = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Walk:
    """What a walk found, each list sorted by path."""

    files: list[FileRow]
    links: list[LinkRow]
    ignored: list[str]


def ignore_matcher(
    root: str, extra_patterns: Sequence[str] = (), *, ignore_file: bool = True
) -> Callable[[str], bool]:
    """A predicate telling whether a relative path (directories end in "/") is ignored.

    Patterns are the defaults, ``extra_patterns`` and (unless ``ignore_file`` is false: a
    verifier must not let a file on disk decide what it checks) the root's ``.mbomignore``, with
    gitignore semantics (pathspec). When no pattern negates, all patterns are folded into one
    regular expression: one match per file instead of one per pattern per file.
    """
    lines = list(extra_patterns)
    ignore_path = os.path.join(root, IGNORE_FILE)
    if ignore_file and os.path.isfile(ignore_path):
        try:
            with open(ignore_path, encoding="utf-8") as handle:
                lines.extend(handle.read().splitlines())
        except (OSError, UnicodeDecodeError) as exc:
            raise UnreadableFileError(f"{ignore_path}: cannot read ignore file: {exc}") from exc
    if not lines:
        return _is_ignored_by_default
    import pathspec

    lines[:0] = DEFAULT_IGNORE_PATTERNS
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    regexes = [getattr(pattern, "regex", None) for pattern in spec.patterns]
    if all(pattern.include for pattern in spec.patterns) and all(regexes):
        folded = "|".join(
            f"(?:{regex.pattern.replace('(?P<ps_d>', '(?:')})"  # type: ignore[union-attr]
            for regex in regexes
        )
        combined = re.compile(folded)
        return lambda rel: combined.match(rel) is not None
    return spec.match_file


def _is_ignored_by_default(rel: str) -> bool:
    """DEFAULT_IGNORE_PATTERNS without loading pathspec (the common case: no .mbomignore)."""
    if rel.endswith("/"):  # a directory: its name may match either kind of pattern
        name = rel[:-1].rpartition("/")[2]
        return name in DEFAULT_IGNORE_DIRS or name.endswith(DEFAULT_IGNORE_SUFFIXES)
    return rel.endswith(DEFAULT_IGNORE_SUFFIXES)


def _check_name(rel: str) -> str:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{rel!r}: file name is not valid UTF-8; rename it") from None
    return rel


def walk_tree(
    root: str,
    *,
    use_ignore: bool = True,
    extra_ignore: Sequence[str] = (),
    follow_within: str | None = None,
    ignore_file: bool = True,
) -> Walk:
    """Walk ``root`` (a directory) and return its files, links and ignored paths.

    Links resolving to a regular file inside ``follow_within`` are returned as files (the
    path to open is the resolved target).
    """
    root_real = os.path.realpath(root)
    outer = os.path.realpath(follow_within) if follow_within is not None else None
    match = ignore_matcher(root, extra_ignore, ignore_file=ignore_file) if use_ignore else None
    files: list[FileRow] = []
    links: list[LinkRow] = []
    ignored: list[str] = []
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as entries:
                listing = list(entries)
        except OSError as exc:
            raise UnreadableFileError(
                f"{directory}: cannot list directory: {exc.strerror}"
            ) from exc
        for entry in listing:
            rel = prefix + entry.name
            try:
                if entry.is_symlink():
                    if match is not None and match(rel):
                        ignored.append(rel)
                        continue
                    target = _followed_file(entry.path, outer) if outer is not None else None
                    if target is not None:
                        files.append((_check_name(rel), target))
                        continue
                    links.append((_check_name(rel), _checked_link(entry.path, rel, root_real)))
                elif entry.is_dir(follow_symlinks=False):
                    if match is not None and match(rel + "/"):
                        ignored.append(rel + "/")
                        continue
                    stack.append((entry.path, rel + "/"))
                elif entry.is_file(follow_symlinks=False):  # d_type: no stat call
                    if match is not None and match(rel):
                        ignored.append(rel)
                        continue
                    files.append((_check_name(rel), entry.path))
                else:
                    if match is not None and match(rel):
                        ignored.append(rel)
                        continue
                    raise UnreadableFileError(
                        f"{entry.path}: not a regular file, directory or symbolic link; "
                        "remove it or add it to .mbomignore",
                        path=entry.path,
                    )
            except OSError as exc:
                raise UnreadableFileError(f"{entry.path}: {exc.strerror}", path=entry.path) from exc
    files.sort()
    links.sort()
    ignored.sort()
    return Walk(files=files, links=links, ignored=ignored)


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _followed_file(path: str, outer: str) -> str | None:
    """The resolved target of a link to a regular file inside ``outer``, else None."""
    resolved = os.path.realpath(path)
    if _inside(resolved, outer) and os.path.isfile(resolved) and not os.path.islink(resolved):
        return resolved
    return None


def _checked_link(path: str, rel: str, root_real: str) -> str:
    """Return the link's stored target, refusing links that resolve outside the root."""
    target = os.readlink(path)
    resolved = os.path.realpath(path)
    if not _inside(resolved, root_real):
        raise SymlinkEscapeError(rel, target)
    return target
