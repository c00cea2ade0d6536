"""Static pickle scanner: which globals would loading this pickle import? Nothing is unpickled.

Loading a pickle runs code: ``GLOBAL``/``STACK_GLOBAL``/``INST`` import any callable and
``REDUCE`` calls it, so ``os.system`` in a checkpoint runs on ``torch.load``. This module walks
the opcodes with :func:`pickletools.genops` (which only decodes, never executes) and emulates the
unpickler's stack and memo just enough to know the strings ``STACK_GLOBAL`` consumes (pushed
directly or fetched from the memo with ``BINGET`` after ``BINPUT``/``MEMOIZE``).

Each import gets a verdict from :mod:`.pickle_globals` (``safe``, ``dangerous`` or ``unknown``);
a reconstruct-only class (:data:`RECONSTRUCTED_GLOBALS`) seen called becomes ``unknown``: the
emulated stack carries a reference to each imported global, through the memo, to tell. A
pickle that cannot be decoded to its ``STOP``, or whose imports cannot be resolved
statically, gets an error: the real unpickler would have executed everything up to that
point, so it is never called safe.

Memory is bounded: a string or bytes argument over :data:`ELIDE_OVER` bytes (array payloads)
is skipped with a seek instead of being read, and no read may go past the caller's limit.
"""

from __future__ import annotations

import io
import lzma
import pickletools
import struct
import zipfile
import zlib
from typing import Any, Final, Protocol

from mbom.capture.checkpoints.pickle_globals import (
    DANGEROUS_GLOBALS,
    DANGEROUS_MODULES,
    RECONSTRUCTED_GLOBALS,
    SAFE_GLOBALS,
    classify,
    reconstruct_only,
)
from mbom.capture.checkpoints.results import PickleGlobal, PickleScan

__all__ = [
    "DANGEROUS_GLOBALS",
    "DANGEROUS_MODULES",
    "RECONSTRUCTED_GLOBALS",
    "SAFE_GLOBALS",
    "ByteStream",
    "classify",
    "scan_pickle",
    "scan_pickle_bytes",
]

ELIDE_OVER: Final = 1 << 20
"""Arguments longer than this many bytes are skipped, not read (they are data, not imports)."""

MAX_LINE: Final = 1 << 16
"""Longest text line (protocol 0 argument) accepted."""

MAX_ERRORS: Final = 20
"""Problems recorded per stream; one is enough to make it unsafe."""

_MEMO_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"})
_MEMO_GETS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_STRING_PUSHES = frozenset(
    {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE",
     "BINUNICODE8"}
)  # fmt: skip


class _Unknown:
    """A computed stack value (the result of a call or import): it could even be a string."""

    __slots__ = ()


class _Other:
    """A value known not to be a string or an int (None, a float, bytes, a fresh container)."""

    __slots__ = ()


class _Mark:
    """The unpickler's MARK on the emulated stack."""

    __slots__ = ()


class _Ref(_Unknown):
    """An imported global on the stack: followed to see how a reconstruct-only class is used."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[str, str]) -> None:
        self.key = key


_ANY: Final = _Unknown()
_OTHER: Final = _Other()
_MARK: Final = _Mark()
_COMPUTED: Final = frozenset(
    {"REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "GLOBAL", "STACK_GLOBAL", "PERSID",
     "BINPERSID", "EXT1", "EXT2", "EXT4"}
)  # fmt: skip
"""Opcodes whose result only the real unpickler knows (it ran code to get it)."""
_INT_PUSHES: Final = frozenset({"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4"})


class ByteStream(Protocol):
    """What the scanner needs from a stream: a file, a ``BytesIO`` or a zip member."""

    def read(self, size: int = -1, /) -> bytes: ...
    def readline(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


class _Elided(bytes):
    """Stands in for a long argument that was skipped: empty, but reports the skipped length
    so pickletools' length checks pass and decoding carries on after it."""

    _length: int

    def __new__(cls, length: int) -> _Elided:
        obj = super().__new__(cls, b"")
        obj._length = length
        return obj

    def __len__(self) -> int:
        return self._length


_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)
"""What reading a damaged stream raises (a corrupt compressed zip member, a CRC mismatch)."""


class _LimitedInput:
    """The file-like view pickletools reads from: bounded, eliding long arguments, and turning
    stream failures into ValueError so the imports found before them are kept."""

    __slots__ = ("_fh", "_left")

    def __init__(self, fh: ByteStream, limit: int) -> None:
        self._fh = fh
        self._left = limit

    def tell(self) -> int:
        return self._fh.tell()

    def read(self, count: int = -1) -> bytes:
        if count < 0:
            count = self._left
        if count > self._left:
            raise ValueError(f"stream ends early: {count} bytes needed, {self._left} left")
        self._left -= count
        try:
            if count > ELIDE_OVER:
                self._fh.seek(count, 1)
                return _Elided(count)
            return self._fh.read(count)
        except _READ_ERRORS as exc:
            raise ValueError(f"read error: {exc}") from exc

    def readline(self) -> bytes:
        try:
            line = self._fh.readline(min(self._left, MAX_LINE))
        except _READ_ERRORS as exc:
            raise ValueError(f"read error: {exc}") from exc
        self._left -= len(line)
        return line


def scan_pickle(fh: ByteStream, source: str, *, limit: int) -> PickleScan:
    """Scan one pickle from ``fh``'s current position up to and including its STOP opcode.

    At most ``limit`` bytes are consumed; ``fh`` is left just after STOP, so consecutive
    pickles in one file can be scanned with repeated calls. Never raises for bad content:
    problems are returned in :attr:`PickleScan.errors`.
    """
    emulator = _Emulator()
    try:
        for opcode, arg, pos in pickletools.genops(_LimitedInput(fh, limit)):
            emulator.step(opcode, arg, pos)
    except (ValueError, EOFError, OverflowError, struct.error) as exc:
        # pickletools reports a bad or truncated opcode stream as ValueError (sometimes
        # others); loading would fail there too, after running everything before it.
        emulator.error(f"cannot decode pickle: {_one_line(exc)}")
    return PickleScan(
        source=source,
        protocol=emulator.protocol,
        opcode_count=emulator.count,
        globals=tuple(sorted(emulator.found.values(), key=lambda g: (g.module, g.name))),
        errors=tuple(emulator.errors),
        complete=emulator.complete,
        imports=emulator.imports,
        constant=emulator.constant,
    )


def scan_pickle_bytes(data: bytes, source: str) -> PickleScan:
    """Scan a pickle held in memory (convenience for small streams and tests)."""
    return scan_pickle(io.BytesIO(data), source, limit=len(data))


class _Emulator:
    """Tracks the stack and memo well enough to resolve STACK_GLOBAL operands."""

    def __init__(self) -> None:
        self.stack: list[object] = []
        self.memo: dict[int, object] = {}
        self.protocol: int | None = None
        self.count = 0
        self.found: dict[tuple[str, str], PickleGlobal] = {}
        self.errors: list[str] = []
        self.complete = False
        self._last: tuple[str, str] | None = None
        self.imports = 0
        self.constant: int | None = None

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS and message not in self.errors:
            self.errors.append(message)

    def record(self, module: str, name: str) -> None:
        if _importable(module) and _importable(name):
            # An import the real unpickler can attempt; a line of text read as GLOBAL/INST
            # (``import torch`` in a .py file) names no module and cannot run anything.
            self.imports += 1
        if (module, name) not in self.found:
            verdict = classify(module, name, protocol=self.protocol or 0)
            self.found[(module, name)] = PickleGlobal(module=module, name=name, verdict=verdict)

    def step(self, opcode: pickletools.OpcodeInfo, arg: Any, pos: int | None) -> None:
        self.count += 1
        self._last = None
        name = opcode.name
        if name == "PROTO":
            self.protocol = int(arg)
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            self.record(module, attr)
            self._last = (module, attr)
            if name == "INST":  # imports and calls with arguments in one opcode
                self._misused(self._last)
        elif name == "STACK_GLOBAL":
            self._stack_global(pos)
        elif name == "STOP":
            top = self.stack[-1] if self.stack else None
            if isinstance(top, int) and not isinstance(top, bool):
                self.constant = top
        elif name.startswith("EXT"):
            self.error(f"extension-registry import (code {arg}) at byte {pos} cannot be resolved")

        if name in _MEMO_PUTS:
            index = len(self.memo) if name == "MEMOIZE" else int(arg)
            if not self.stack or self.stack[-1] is _MARK:
                self.error(f"nothing to memoize at byte {pos}")
            else:
                self.memo[index] = self.stack[-1]
            return
        if name in _MEMO_GETS:
            if arg not in self.memo:
                self.error(f"memo entry {arg} read before being stored, at byte {pos}")
            self.stack.append(self.memo.get(arg, _OTHER))
            return
        self._apply_stack_effect(opcode, arg, pos)
        if name == "STOP":  # clean only if STOP found its value (b"." alone is not a pickle)
            self.complete = not self.errors

    def _misused(self, key: tuple[str, str]) -> None:
        found = self.found.get(key)
        if found is None or found.verdict != "safe":
            return
        if classify(*key, protocol=self.protocol or 0) == "safe" and reconstruct_only(*key):
            self.found[key] = PickleGlobal(module=found.module, name=found.name, verdict="unknown")

    def _check_uses(self, opcode: str, popped: list[object], removed: list[object]) -> None:
        """A reconstruct-only class consumed by anything but NEWOBJ (as its class) is misused."""
        if opcode in _HARMLESS_USES:
            return
        for index, item in enumerate([*popped, *removed]):
            newobj_class = opcode in ("NEWOBJ", "NEWOBJ_EX") and index == 0
            if isinstance(item, _Ref) and not newobj_class:
                self._misused(item.key)

    def _stack_global(self, pos: int | None) -> None:
        top = self.stack[-2:]
        module, attr = top if len(top) == 2 else (_OTHER, _OTHER)
        if isinstance(module, str) and isinstance(attr, str):
            self.record(module, attr)
            self._last = (module, attr)
        elif isinstance(module, _Unknown) or isinstance(attr, _Unknown):
            # Names computed at load time (a call's result): an obfuscated import.
            self.imports += 1
            self.error(
                f"STACK_GLOBAL at byte {pos} imports a name that cannot be resolved "
                "(computed at load time)"
            )
        else:
            self.error(f"STACK_GLOBAL at byte {pos} has no string operands")

    def _apply_stack_effect(
        self, opcode: pickletools.OpcodeInfo, arg: object, pos: int | None
    ) -> None:
        before, after = opcode.stack_before, opcode.stack_after
        removed: list[object] = []
        to_pop = len(before)
        pops_mark = pickletools.markobject in before
        if pops_mark or (opcode.name == "POP" and self.stack and self.stack[-1] is _MARK):
            if _MARK not in self.stack:
                self.error(f"{opcode.name} at byte {pos} needs a MARK that is not there")
                to_pop = 0
            else:
                while (item := self.stack.pop()) is not _MARK:
                    removed.append(item)
                to_pop = before.index(pickletools.markobject) if pops_mark else 0
        if to_pop:
            popped = self.stack[-to_pop:]
            if len(popped) < to_pop or _MARK in popped:
                self.error(f"{opcode.name} at byte {pos} pops more than the stack holds")
            del self.stack[-to_pop:]
        else:
            popped = []
        self._check_uses(opcode.name, popped, removed)
        for item in after:
            if item is pickletools.markobject:
                self.stack.append(_MARK)
            elif _literal(opcode.name, arg):
                self.stack.append(arg)
            elif opcode.name == "DUP" or opcode.name == "BUILD":
                self.stack.append(popped[0] if popped else _OTHER)
            elif opcode.name in ("GLOBAL", "STACK_GLOBAL") and self._last is not None:
                self.stack.append(_Ref(self._last))
                self._last = None
            elif opcode.name in _COMPUTED:
                self.stack.append(_ANY)
            else:
                self.stack.append(_OTHER)


_HARMLESS_USES: Final = frozenset({"POP", "POP_MARK", "STOP", "DUP"})


def _literal(name: str, arg: object) -> bool:
    """The opcode pushes a string or an int the scanner keeps (import names, magic numbers)."""
    if name in _STRING_PUSHES:
        return isinstance(arg, str)
    return name in _INT_PUSHES and isinstance(arg, int)


def _importable(dotted: str) -> bool:
    return bool(dotted) and all(part.isidentifier() for part in dotted.split("."))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
