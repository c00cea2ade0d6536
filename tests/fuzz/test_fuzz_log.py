"""Fuzzing the tamper-evident log: mutated log files never make mbom crash or lose data.

A real log (appended by mbom, checkpoints signed by a key made by mbom) is mutated byte-wise
and line-wise. On every mutant: `log verify` exits 0, 1, 2 or 3 without reaching the
last-resort handler; `log repair` either cuts exactly a torn tail or leaves the file as it
was; `log append` either refuses (the file unchanged) or only adds bytes. The number of
examples comes from the hypothesis profile (tests/fuzz/conftest.py), never from this file.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mbom.attest.keys import load_signing_key, write_key_pair  # noqa: E402
from mbom.errors import MbomError  # noqa: E402
from mbom.forensics._tail import TORN, classify_tail  # noqa: E402
from mbom.forensics.log import append_checkpoint, append_event  # noqa: E402

#: Bytes that change what a line means: JSON structure, the entry's keys, numbers, escapes.
TOKENS = [
    b"\n", b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\", b"\x00", b"\xff", b" ",
    b'"index":', b'"prev":', b'"hash":', b'"kind":"checkpoint"', b'"event":{},',
    b"0" * 64, b"1e400", b"-0", b"NaN", b"9007199254740993", b"\\ud800", b"true",
    b'{"event":{', b"[" * 2000,
]  # fmt: skip


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    folder = tmp_path_factory.mktemp("fuzzlog")
    private, _ = write_key_pair(folder / "log")
    log = folder / "seed.log"
    key = load_signing_key(private)
    for n in range(5):
        append_event(log, {"action": "train", "n": n, "text": "é\u2028"})
        if n % 2 or n == 4:
            append_checkpoint(log, key)  # ... and the log ends sealed
    return folder, log.read_bytes()


@st.composite
def mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        lines = bytes(data).split(b"\n")
        action = draw(
            st.sampled_from(["flip", "insert", "delete", "cut", "lines", "token", "torn"])
        )
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 80))]
        elif action == "cut":
            del data[at:]
        elif action == "torn":  # an interrupted append: part of a line, after the last newline
            line = draw(st.sampled_from(seed.splitlines()))
            data += line[: draw(st.integers(0, len(line)))]
        else:
            order = draw(st.permutations(range(len(lines))))
            keep = draw(st.integers(0, len(lines)))
            data = bytearray(b"\n".join(lines[i] for i in order[:keep]))
    return bytes(data)


def mbom(*args: str) -> tuple[int, str]:
    """Run the CLI in-process with its exit-code mapping (mbom.cli._errors), minus the
    last-resort handler: any other exception fails the test."""
    import click

    from mbom.cli.main import cli

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(list(args), standalone_mode=False, prog_name="mbom") or 0
        except MbomError as exc:
            code = exc.exit_code
            assert "\n" not in exc.message  # one line
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            code = exc.exit_code
    return code, out.getvalue()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # no timed asserts
@given(data=st.data())
def test_mutated_logs(made: tuple[Path, bytes], data: st.DataObject) -> None:
    folder, seed = made
    mutated = data.draw(mutations(seed))
    log = folder / "fuzz.log"
    log.write_bytes(mutated)
    pub = str(folder / "log.pub")
    code, out = mbom("log", "verify", str(log), "--key", pub, "--format", "json")
    assert code in (0, 1)
    report = json.loads(out)
    assert report["valid"] is (code == 0)
    event(f"verify --key: exit {code}, {(report['problem'] or {}).get('kind', 'valid')}")
    if code == 0:
        assert report["unsealedEntries"] == 0 and report["sealedEntries"] == report["entries"]
    code, _ = mbom("log", "verify", str(log), "--key", pub, "--allow-unsealed-tail", "3")
    assert code in (0, 1)
    assert mbom("log", "show", str(log), "--format", "json")[0] == 0
    code, _ = mbom("log", "repair", str(log))
    after = log.read_bytes()
    end = mutated.rfind(b"\n") + 1
    event(f"tail: {classify_tail(mutated[end:])}")
    if classify_tail(mutated[end:]) == TORN:
        assert code == 0 and after == mutated[:end]  # cut the torn tail, nothing else
    else:
        assert after == mutated and code in (0, 1)  # refused, or nothing to cut
    code, _ = mbom("log", "append", str(log), "--event", '{"fuzz":1}')
    assert code in (0, 1, 2)
    grown = log.read_bytes()
    assert grown.startswith(after) and (code == 0) is (grown != after)  # never a byte lost
