"""Mutation strategies over real seeds: byte-level damage and structure-aware JSON edits.

Byte level: bit/byte flips, truncations, insertions, deletions, duplicated runs and splices
with another seed -- what a disk, a network or a careless editor does. Structure aware: walk
to a random node of a parsed JSON seed and replace it by a value of another type (``None``,
a list, an object, a huge integer, a float, a lone surrogate, a deeply nested value), delete
it, or add an unknown key -- what a hostile producer does to reach code paths that trust
field types. Nesting stays below the strict loader's depth bound: deeper input is the
loader's to refuse (tests of its own).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

#: Deepest nesting a structure-aware mutation adds.
MAX_DEPTH = 40

#: Inputs whose refusal is the strict loader's job (JSON depth bound, integers over Python's
#: 4,300-digit conversion limit, YAML alias bombs). Off by default, as the loader has its own
#: tests; ``MBOM_FUZZ_LOADER=1`` mixes them into every fuzz input to check the readers and
#: the loader together (e.g. ``MBOM_FUZZ_LOADER=1 make fuzz``).
LOADER_BOMBS: tuple[bytes, ...] = (
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"bomFormat": "CycloneDX", "version": ' + b"9" * 5000 + b"}",
    b'{"mediaType": ' + b"1" * 5000 + b"}",
    b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    b"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
)
LOADER_CASES = os.environ.get("MBOM_FUZZ_LOADER") == "1"

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64 + 1, -(2**63) - 1, 10**200]),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, 0.5, -0.0]),
    st.sampled_from(
        [
            "",
            "\ud800",
            "a\udfffb",
            "\x00",
            "../../etc/passwd",
            "/abs/path",
            "sha256:" + "0" * 64,
            "0" * 64,
            "Z" * 64,
            "not base64!",
            "AAAA",
            "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "x" * 5000,
            "\u202e\u0000\n\r\t",
            "https://cyclonedx.org/bom",
            "application/vnd.in-toto+json",
        ]
    ),
    st.text(max_size=20),
)


def _nest(value: Any, depth: int, as_list: bool) -> Any:
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


hostile_values = st.one_of(
    _SCALARS,
    st.lists(_SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=8), _SCALARS, max_size=4),
    st.builds(_nest, _SCALARS, st.integers(1, MAX_DEPTH), st.booleans()),
)


def _children(node: Any) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        return [(node, key) for key in node]
    if isinstance(node, list):
        return [(node, index) for index in range(len(node))]
    return []


@st.composite
def mutated_json(draw: st.DrawFn, seed: Any, *, edits: int = 3) -> Any:
    """A deep copy of ``seed`` with one to ``edits`` structure-aware edits."""
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, edits))):
        # Walk down a random path; stop at a random depth (deeper nodes are likelier to matter).
        parent, key = None, None
        node = doc
        while True:
            children = _children(node)
            if not children or (parent is not None and draw(st.integers(0, 5)) == 0):
                break
            parent, key = draw(st.sampled_from(children))
            node = parent[key]
        if parent is None:
            if draw(st.integers(0, 9)) == 0:
                doc = draw(hostile_values)
            continue
        action = draw(st.integers(0, 9))
        if action <= 5:
            parent[key] = draw(hostile_values)
        elif action == 6:
            del parent[key]
        elif action == 7 and isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(hostile_values)
        elif action == 7:
            parent.append(copy.deepcopy(node))  # duplicated entry
        elif action == 8:
            parent[key] = [node] if draw(st.booleans()) else {"value": node}
        else:
            parent[key] = copy.deepcopy(draw(st.sampled_from(_subtrees(doc))))
    return doc


def _subtrees(doc: Any, limit: int = 200) -> list[Any]:
    found, stack = [], [doc]
    while stack and len(found) < limit:
        node = stack.pop()
        found.append(node)
        stack.extend(value for _, value in ((p, p[k]) for p, k in _children(node)))
    return found


def dump_json(doc: Any, variant: int = 0) -> bytes:
    """``doc`` as bytes; lone surrogates survive as ``\\udXXX`` escapes or as raw bytes."""
    if variant % 2:
        return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps(doc).encode()


@st.composite
def mutated_json_bytes(draw: st.DrawFn, seed: Any) -> bytes:
    """A structure-aware mutation of ``seed``, serialised (sometimes also byte-damaged)."""
    data = dump_json(draw(mutated_json(seed)), draw(st.integers(0, 1)))
    if draw(st.integers(0, 4)) == 0:
        data = draw(mutated_bytes([data]))
    return data


@st.composite
def mutated_bytes(draw: st.DrawFn, seeds: Sequence[bytes], *, edits: int = 4) -> bytes:
    """One of ``seeds`` with one to ``edits`` byte-level mutations."""
    out = bytearray(draw(st.sampled_from(list(seeds))))
    for _ in range(draw(st.integers(1, edits))):
        at = draw(st.integers(0, len(out))) if out else 0
        action = draw(st.integers(0, 6))
        if action == 0 and out:  # flip one bit
            at = min(at, len(out) - 1)
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif action == 1 and out:  # overwrite a byte with an interesting value
            at = min(at, len(out) - 1)
            out[at] = draw(st.sampled_from([0, 0x7F, 0x80, 0xFF, ord('"'), ord("{"), ord("]")]))
        elif action == 2:  # truncate
            del out[at:]
        elif action == 3:  # insert random bytes
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == 4:  # delete a run
            del out[at : at + draw(st.integers(1, 64))]
        elif action == 5 and out:  # duplicate a run in place
            run = out[at : at + draw(st.integers(1, 64))]
            out[at:at] = run
        else:  # splice: our head, another seed's tail
            other = draw(st.sampled_from(list(seeds)))
            cut = draw(st.integers(0, len(other)))
            out = out[:at] + bytearray(other[cut:])
    return bytes(out)


def fuzz_input(seed_doc: Any, seed_bytes: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """Either kind of mutation, the structure-aware kind twice as often."""
    if LOADER_CASES:
        return st.one_of(
            st.sampled_from(LOADER_BOMBS),
            mutated_json_bytes(seed_doc),
            mutated_bytes(seed_bytes),
        )
    return st.one_of(
        mutated_json_bytes(seed_doc), mutated_json_bytes(seed_doc), mutated_bytes(seed_bytes)
    )


def json_seeds(raw: Sequence[bytes]) -> list[Any]:
    """The seeds that parse as JSON (third-party corpora hold some that do not, on purpose)."""
    docs = []
    for data in raw:
        try:
            docs.append(json.loads(data))
        except ValueError:
            continue
    return docs


def any_seed_mutated(raw: Sequence[bytes]) -> st.SearchStrategy[bytes]:
    """A structure-aware mutation of any JSON seed, serialised."""
    return st.sampled_from(json_seeds(raw)).flatmap(lambda d: mutated_json(d)).map(dump_json)
