"""The bytes after a log's last newline: what is a torn write, and what repair and append do."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mbom.errors import InputError, VerificationError
from mbom.forensics._tail import ENTRY, FOREIGN, NONE, TORN, classify_tail, escape_bytes
from mbom.forensics.log import append_event, repair_log, verify_log


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "a.log"
    for n in range(3):
        append_event(path, {"n": n})
    return path


@pytest.mark.parametrize(
    ("tail", "shape"),
    [
        (b"", NONE),
        (b"{", TORN),
        (b'{"ev', TORN),
        (b'{"event":{', TORN),
        (b'{"event":{"n":3},"hash":"ab', TORN),
        (b'{"event":{"n":3}' + b"\x00" * 5, TORN),
        (b"\x00" * 4096, TORN),  # what some filesystems leave after a crash
        (b"{}", ENTRY),
        (b"1", ENTRY),
        (b'{"event":{}}', ENTRY),
        (b'{"event":{"a":1,"a":2}}', ENTRY),  # whole, however wrong: verify says what is wrong
        (b'{"event":{"a":"\xff"}}', ENTRY),
        (b"x", FOREIGN),
        (b"X", FOREIGN),
        (b"\x00{", FOREIGN),  # NULs come after a torn write, not before
        (b" ", FOREIGN),
        (b'{"hash":"', FOREIGN),
        (b'{"event":[', FOREIGN),
        (b"\x00x", FOREIGN),
        (b"[" * 100_000, FOREIGN),
    ],
)
def test_classify_tail(tail: bytes, shape: str) -> None:
    assert classify_tail(tail) == shape


def test_a_real_line_cut_anywhere_is_a_torn_tail(log: Path) -> None:
    line = log.read_bytes().splitlines()[-1]
    assert all(classify_tail(line[:cut]) == TORN for cut in range(1, len(line)))
    assert classify_tail(line) == ENTRY


def test_escape_bytes() -> None:
    assert escape_bytes(b" ~az") == " ~az"
    assert escape_bytes(b"\\\x1f\x7f\x00\xff\n") == "\\x5c\\x1f\\x7f\\x00\\xff\\x0a"
    assert escape_bytes(b"a" * 64) == "a" * 64
    assert escape_bytes(b"a" * 65) == "a" * 64 + "…"
    assert escape_bytes(b"a" * 65, limit=None) == "a" * 65
    assert escape_bytes(b"abc", limit=2) == "ab…"


def test_repair_cuts_a_torn_tail_and_says_what(log: Path) -> None:
    whole = log.read_bytes()
    log.write_bytes(whole + b'{"event":{"n":3\x00')
    repair = repair_log(log)
    assert log.read_bytes() == whole
    assert repair.to_json() == {
        "path": str(log),
        "offset": len(whole),
        "bytes": 16,
        "sha256": hashlib.sha256(b'{"event":{"n":3\x00').hexdigest(),
        "cut": '{"event":{"n":3\\x00',
    }
    again = repair_log(log)
    assert (again.offset, again.cut) == (len(whole), b"") and log.read_bytes() == whole


def test_repair_of_a_log_that_is_only_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b'{"event":{"n":0},"ha')
    assert repair_log(path).offset == 0 and path.read_bytes() == b""
    assert verify_log(path).valid


@pytest.mark.parametrize(
    ("tail", "says"),
    [
        (b"junk", "not the start of an entry): junk; run mbom log verify"),
        (b'{"event":{}}', "a whole JSON value: an entry written or edited without its newline"),
    ],
)
def test_repair_refuses_anything_else(log: Path, tail: bytes, says: str) -> None:
    data = log.read_bytes() + tail
    log.write_bytes(data)
    with pytest.raises(VerificationError) as raised:
        repair_log(log)
    assert f"{log}: refusing to cut the {len(tail)} bytes after the last newline" in str(
        raised.value
    )
    assert says in str(raised.value)
    assert log.read_bytes() == data


def test_repair_needs_a_log(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        repair_log(tmp_path / "missing.log")
    with pytest.raises(InputError, match="is a directory"):
        repair_log(tmp_path)


def test_append_never_deletes_a_tail(log: Path) -> None:
    whole = log.read_bytes()
    for tail, error, says in (
        (b'{"event":{"n"', InputError, "the last line is incomplete (an interrupted append? 13 "),
        (b'{"event":{}}', VerificationError, "has no newline and is not an interrupted append"),
        (b"\x01", VerificationError, "(not the start of an entry, 1 bytes: \\x01)"),
    ):
        log.write_bytes(whole + tail)
        with pytest.raises(error) as raised:
            append_event(log, {"n": 3})
        assert says in str(raised.value)
        assert log.read_bytes() == whole + tail


def test_append_to_a_file_holding_only_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"{")
    with pytest.raises(InputError, match="mbom log repair"):
        append_event(path, {"n": 0})
