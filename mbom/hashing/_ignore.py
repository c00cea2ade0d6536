"""What a tree digest may leave out, and what it never may: the one source of truth.

Rules (docs/directory-digest.md, docs/threat-model.md):

* **Default ignore set** -- only files mbom itself writes beside a model: names ending in
  ``.cdx.json`` (BOMs), ``.sigstore.json`` (bundles), ``.cdx.manifest.jsonl`` (dataset
  manifests) and ``.cdx.versions.jsonl`` (remote objects' versions), at any depth, regular
  files or links only (never a directory, never an executable file). No loader reads them.
  Version-control directories (``.git/``, ``.hg/``, ``.svn/``) are NOT ignored: hooks and
  config there name programs that git runs, so they are hashed like any file, and one
  planted into a signed model is an extra file.
* **Loadable files are never ignored** -- Python source, bytecode and packages
  (``*.py``, ``*.pyc``, ``*.pyo``, ``*.pyd``, ``*.pyw``, ``*.pyz``, anything under
  ``__pycache__/``), path hooks (``*.pth``), native libraries (``*.so``, ``*.so.N``,
  ``*.dylib``, ``*.dll``, ``*.exe``) and any file with an executable or setuid/setgid bit. A
  producer's ``.mbomignore`` pattern that would leave one out is an input error naming the
  pattern and the file; at verify time such a file under a path the BOM records as ignored
  fails the ``unverified-code`` check.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Sequence

from mbom.errors import InputError, UnreadableFileError

IGNORE_FILE = ".mbomignore"

#: Files mbom writes beside a model, ignored by default at any depth (files and links only).
DEFAULT_IGNORE_SUFFIXES: tuple[str, ...] = (
    ".sigstore.json",
    ".cdx.json",
    ".cdx.manifest.jsonl",
    ".cdx.versions.jsonl",
)
#: The same default set in gitignore syntax (what docs/ and ``.mbomignore`` users see).
DEFAULT_IGNORE_PATTERNS: tuple[str, ...] = tuple(f"*{s}" for s in DEFAULT_IGNORE_SUFFIXES)

#: Names a Python interpreter or a dynamic loader will execute.
LOADABLE_SUFFIXES: tuple[str, ...] = (
    ".py",
    ".pyc",
    ".pyo",
    ".pyd",
    ".pyw",
    ".pyz",
    ".pth",
    ".so",
    ".dylib",
    ".dll",
    ".exe",
)
LOADABLE_DIRS: tuple[str, ...] = ("__pycache__",)
_VERSIONED_SO = re.compile(r"\.so(?:\.\d+)+$")
#: Any execute bit, setuid, setgid.
EXEC_BITS = 0o111
SETID_BITS = 0o6000


def is_loadable(rel: str, mode: int | None = None) -> bool:
    """Could a loader execute this file (by its name, or by its mode bits when given)?"""
    name = rel.rstrip("/").rpartition("/")[2].lower()
    if name.endswith(LOADABLE_SUFFIXES) or _VERSIONED_SO.search(name):
        return True
    if any(part in LOADABLE_DIRS for part in rel.split("/")[:-1]):
        return True
    return mode is not None and stat.S_ISREG(mode) and bool(mode & (EXEC_BITS | SETID_BITS))


def default_ignored(rel: str, lstat: Callable[[], os.stat_result]) -> bool:
    """The default set: an mbom output file that is not executable (``lstat`` asked lazily)."""
    if rel.endswith("/") or not rel.endswith(DEFAULT_IGNORE_SUFFIXES):
        return False
    mode = lstat().st_mode
    return stat.S_ISLNK(mode) or (stat.S_ISREG(mode) and not is_loadable(rel, mode))


def recorded_mode(mode: int | None) -> str | None:
    """The mode a BOM records for a file: None for a plain file, else git-like ``0755`` with
    any setuid/setgid bit (group/other bits vary with the umask and are not recorded)."""
    if mode is None or not mode & (EXEC_BITS | SETID_BITS):
        return None
    return f"{(0o755 if mode & EXEC_BITS else 0o644) | (mode & SETID_BITS):04o}"


class ProducerIgnore:
    """The producer's patterns (``extra_patterns`` and the root's ``.mbomignore``), gitignore
    semantics. When no pattern negates, they are folded into one regular expression: one
    match per file instead of one per pattern per file."""

    def __init__(self, root: str, lines: Sequence[str], source: str) -> None:
        import pathspec

        self.root, self.lines, self.source = root, list(lines), source
        self.spec = pathspec.GitIgnoreSpec.from_lines(self.lines)
        regexes = [getattr(pattern, "regex", None) for pattern in self.spec.patterns]
        self.match: Callable[[str], bool] = self.spec.match_file
        if all(p.include for p in self.spec.patterns if p.include is not None) and all(
            r is not None for p, r in zip(self.spec.patterns, regexes) if p.include is not None
        ):
            folded = "|".join(
                f"(?:{regex.pattern.replace('(?P<ps_d>', '(?:')})"  # type: ignore[union-attr]
                for pattern, regex in zip(self.spec.patterns, regexes)
                if pattern.include is not None
            )
            if folded:
                combined = re.compile(folded)
                self.match = lambda rel: combined.match(rel) is not None

    def refuse(self, rel: str) -> InputError:
        """The error for a pattern that would hide the loadable file ``rel``."""
        index = self.spec.check_file(rel).index
        pattern = self.lines[index] if index is not None else "?"
        return InputError(
            f"{self.source}: pattern {pattern!r} would leave {rel!r} unverified; Python code, "
            "bytecode, native libraries and executable files cannot be ignored",
            path=self.source,
        )


def producer_ignore(
    root: str, extra_patterns: Sequence[str] = (), *, ignore_file: bool = True
) -> ProducerIgnore | None:
    """The producer's ignore rules, or None when there are none (the common case).

    ``ignore_file=False`` leaves the root's ``.mbomignore`` out: a verifier must not let a file
    on disk decide what it checks.
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
        return None
    return ProducerIgnore(root, lines, ignore_path if ignore_file else "ignore patterns")
