"""Hand-assembled pickle opcodes for the malicious corpus (tests/helpers/pickle_corpus.py).

Real attackers do not use ``pickle.dumps``: they write opcodes (protocol 0 text, INST/OBJ,
STACK_GLOBAL fed from the memo, names computed at load time). These helpers write exactly
the bytes wanted, so each corpus file exercises one encoding. Nothing here loads anything.
"""

from __future__ import annotations

import struct


def text(value: str) -> bytes:
    """A str on the stack, protocol-independent (BINUNICODE)."""
    data = value.encode("utf-8")
    return b"X" + struct.pack("<I", len(data)) + data


def short(value: str) -> bytes:
    """A str on the stack with SHORT_BINUNICODE (protocol 4+)."""
    data = value.encode("utf-8")
    return b"\x8c" + bytes([len(data)]) + data


def string0(value: str) -> bytes:
    """A protocol-0 STRING line."""
    return b"S" + repr(value).encode("ascii") + b"\n"


def global0(module: str, name: str) -> bytes:
    """GLOBAL (protocol 0 text): ``c<module>\\n<name>\\n``."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def stack_global(module: str, name: str) -> bytes:
    """STACK_GLOBAL from two pushed strings (protocol 4)."""
    return short(module) + short(name) + b"\x93"


def call0(module: str, name: str, *args: str) -> bytes:
    """Protocol 0: GLOBAL, MARK, STRING args, TUPLE, REDUCE (no STOP)."""
    return global0(module, name) + b"(" + b"".join(string0(a) for a in args) + b"tR"


def call2(module: str, name: str, *args: str) -> bytes:
    """Protocol 2 style: GLOBAL, MARK, BINUNICODE args, TUPLE, REDUCE."""
    return global0(module, name) + b"(" + b"".join(text(a) for a in args) + b"tR"


def call4(module: str, name: str, *args: str) -> bytes:
    """Protocol 4 style: STACK_GLOBAL, MARK, args, TUPLE, REDUCE."""
    return stack_global(module, name) + b"(" + b"".join(short(a) for a in args) + b"tR"


def proto(number: int, body: bytes) -> bytes:
    """``PROTO n`` + body + STOP (with a FRAME for protocol 4+, as CPython writes)."""
    if number >= 4:
        framed = body + b"."
        return b"\x80" + bytes([number]) + b"\x95" + struct.pack("<Q", len(framed)) + framed
    return b"\x80" + bytes([number]) + body + b"."


def memo_stack_global(module: str, name: str, *args: str) -> bytes:
    """STACK_GLOBAL whose strings come back from the memo (MEMOIZE, POP, BINGET)."""
    return (
        short("decoy")
        + b"\x94"  # memo 0
        + short(module)
        + b"\x94"  # memo 1
        + short(name)
        + b"\x94"  # memo 2
        + b"000"  # POP x3: the stack is empty again
        + b"h\x01h\x02\x93"  # BINGET 1, BINGET 2, STACK_GLOBAL
        + b"("
        + b"".join(short(a) for a in args)
        + b"tR"
    )


def rot13_stack_global(module: str, name: str, *args: str) -> bytes:
    """STACK_GLOBAL whose strings are computed at load time: ``_codecs.encode(s, 'rot13')``.

    ``_codecs.encode`` is on every tensor allow-list (protocol 2 spells bytes with it), so
    a scanner that only matches literal names sees nothing but an allowed global."""
    import codecs

    def computed(value: str) -> bytes:
        return (
            global0("_codecs", "encode")
            + b"("
            + text(codecs.encode(value, "rot13"))
            + text("rot13")
            + b"tR"
        )

    return computed(module) + computed(name) + b"\x93(" + b"".join(text(a) for a in args) + b"tR"


def getattr_chain(module: str, attribute: str, *args: str) -> bytes:
    """``getattr(__import__(module), attribute)(*args)``: a __reduce__ chain of two calls."""
    return (
        global0("builtins", "getattr")
        + b"("
        + global0("builtins", "__import__")
        + b"("
        + text(module)
        + b"tR"
        + text(attribute)
        + b"tR("
        + b"".join(text(a) for a in args)
        + b"tR"
    )


def inst0(module: str, name: str, *args: str) -> bytes:
    """Protocol 0 INST: ``(`` args ``i<module>\\n<name>\\n`` (import and call in one opcode)."""
    return (
        b"("
        + b"".join(string0(a) for a in args)
        + b"i"
        + module.encode()
        + b"\n"
        + (name.encode() + b"\n")
    )


def obj1(module: str, name: str, *args: str) -> bytes:
    """Protocol 1 OBJ: MARK, the callable, args, OBJ."""
    return b"(" + global0(module, name) + b"".join(text(a) for a in args) + b"o"


def bytes_arg(data: bytes) -> bytes:
    """A bytes object (SHORT_BINBYTES / BINBYTES, protocol 3+)."""
    if len(data) < 256:
        return b"C" + bytes([len(data)]) + data
    return b"B" + struct.pack("<I", len(data)) + data


def benign_state() -> bytes:
    """A small dict like a state dict's outer layer (EMPTY_DICT, SETITEMS of ints)."""
    return b"}(" + text("step") + b"K\x07" + text("lr") + b"G?\xb9\x99\x99\x99\x99\x99\x9au"
