"""Large files in forked workers (mapped or read), and files that change while hashed.

A file truncated while it is mapped kills the process touching it with SIGBUS: here that is
a forked worker, and the parent reports the file as changed. The truncation is made at a
known moment (a wrapper around the real hasher truncates the file just before the first
window is hashed), so each test is deterministic; mapping, hashing, the worker's death and
the parent's recovery are all real.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from blake3 import blake3

from mbom.errors import ObjectChangedError
from mbom.hashing import _engine, _mapped, _reader, _windows, hash_tree

MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _forkable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other tests leave threads behind (moto's server, fsspec's IO loop), which makes the
    # engine refuse to fork; these tests are about the forked path, so take it regardless.
    monkeypatch.setattr(_engine, "can_fork", lambda: True)
    monkeypatch.delenv("MBOM_HASH_MMAP", raising=False)


def _model(root: Path, sizes: tuple[int, ...]) -> dict[str, bytes]:
    root.mkdir()
    contents = {}
    for index, size in enumerate(sizes):
        data = (bytes([index + 1]) + os.urandom(4093)) * (size // 4094) + b"x" * (size % 4094)
        (root / f"shard-{index}.bin").write_bytes(data)
        contents[f"shard-{index}.bin"] = data
    (root / "config.json").write_bytes(b"{}")
    contents["config.json"] = b"{}"
    return contents


def _expected(contents: dict[str, bytes]) -> dict[str, dict[str, str]]:
    return {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "blake3": blake3(data).hexdigest()}
        for name, data in contents.items()
    }


def _digests(tree, names: tuple[str, ...]) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {entry.path: {n: entry.digests[n] for n in names} for entry in tree.files}


@pytest.mark.parametrize("mode", ["", "1", "0"], ids=["measured", "mapped", "read"])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_workers_give_the_digests_of_the_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, workers: int
) -> None:
    """Several windows per file, sizes that are no multiple of a window or a page."""
    monkeypatch.setattr(_windows, "WINDOW", 64 * 1024)
    monkeypatch.setenv("MBOM_HASH_MMAP", mode)
    contents = _model(tmp_path / "m", (3 * MIB + 17, 2 * MIB, MIB + 1, 5 * MIB - 4095))
    names = ("sha256", "blake3")
    for algorithms in (("sha256",), ("blake3",), names):
        tree = hash_tree(tmp_path / "m", algorithms=algorithms, jobs=workers)
        expected = _expected(contents)
        assert _digests(tree, algorithms) == {
            path: {n: expected[path][n] for n in algorithms} for path in expected
        }
        assert tree.total_size == sum(map(len, contents.values()))


def test_the_root_is_that_of_the_read_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _model(tmp_path / "m", (2 * MIB, 3 * MIB))
    names = ("sha256", "blake3")
    monkeypatch.setenv("MBOM_HASH_MMAP", "0")
    monkeypatch.setattr(_engine, "can_fork", lambda: False)  # the threads of the parent
    read = hash_tree(tmp_path / "m", algorithms=names)
    monkeypatch.setenv("MBOM_HASH_MMAP", "1")
    monkeypatch.setattr(_engine, "can_fork", lambda: True)
    mapped = hash_tree(tmp_path / "m", algorithms=names)
    assert mapped.roots == read.roots and mapped.files == read.files


class _Cutting:
    """A real hasher whose first update of the victim's bytes first does ``action``."""

    def __init__(self, inner, action, marker: int) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.action, self.marker = inner, action, marker

    def update(self, data) -> None:  # type: ignore[no-untyped-def]
        if self.action is not None and len(data) and data[0] == self.marker:
            action, self.action = self.action, None
            action()
        self.inner.update(data)

    def digest(self) -> bytes:
        return self.inner.digest()


def _cut_while_hashing(monkeypatch: pytest.MonkeyPatch, victim: Path, action=None) -> None:  # type: ignore[no-untyped-def]
    """Truncate ``victim`` to 1000 bytes when its hashing begins (in worker or thread).

    The victim is told by its first byte (each test file has its own) and by being open:
    with threads, another file's hasher may start while the victim is open, not yet read.
    """
    victim_id = os.stat(victim).st_ino
    marker = victim.read_bytes()[0]

    def cut() -> None:
        os.truncate(victim, 1000)

    for module in (_windows, _reader):
        real = module.start_hasher

        def start(name, large, data=b"", threads=None, real=real):  # type: ignore[no-untyped-def]
            hasher = real(name, large, data, threads)
            fds = os.listdir("/proc/self/fd")
            hashing_victim = any(
                _inode(f"/proc/self/fd/{fd}") == victim_id for fd in fds if fd.isdigit()
            )
            return _Cutting(hasher, action or cut, marker) if hashing_victim else hasher

        monkeypatch.setattr(module, "start_hasher", start)


def _record_deaths(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The signals that killed the workers reaped from now on."""
    deaths: list[int] = []
    real = os.waitpid

    def waitpid(pid: int, options: int) -> tuple[int, int]:
        reaped = real(pid, options)
        if reaped[0] and os.WIFSIGNALED(reaped[1]):
            deaths.append(os.WTERMSIG(reaped[1]))
        return reaped

    monkeypatch.setattr(os, "waitpid", waitpid)
    return deaths


def _inode(path: str) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1


PATHS = {  # measured: a worker's first window is mapped
    "mapped-sha256": ("1", True, ("sha256",)),
    "mapped-blake3": ("1", True, ("blake3",)),
    "measured-sha256": ("", True, ("sha256",)),
    "measured-blake3": ("", True, ("blake3",)),
    "worker-read": ("0", True, ("sha256",)),
    "thread-read": ("0", False, ("sha256", "blake3")),
}


@pytest.mark.parametrize("path", PATHS, ids=list(PATHS))
def test_a_file_truncated_while_hashed_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    mode, forked, names = PATHS[path]
    monkeypatch.setenv("MBOM_HASH_MMAP", mode)
    monkeypatch.setattr(_engine, "can_fork", lambda: forked)
    _model(tmp_path / "m", (4 * MIB, 3 * MIB, 2 * MIB))
    victim = tmp_path / "m" / "shard-1.bin"
    _cut_while_hashing(monkeypatch, victim)
    deaths = _record_deaths(monkeypatch)
    with pytest.raises(ObjectChangedError) as raised:
        # Threads: one (the read path; the order of cut and reads is then fixed, never racy).
        hash_tree(tmp_path / "m", algorithms=names, jobs=2 if forked else 1)
    # Mapped: the worker touching the cut pages died of SIGBUS; read: none died of it.
    assert (signal.SIGBUS in deaths) == (forked and mode != "0")
    assert raised.value.message == (
        f"{victim}: changed while being hashed (size {3 * MIB} -> 1000)"
    )
    assert raised.value.path == str(victim) and raised.value.exit_code == 2


@pytest.mark.parametrize("path", PATHS, ids=list(PATHS))
def test_a_verifier_gets_a_finding_and_every_other_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Tolerant (verify): the changed file is an anomaly; the dead worker's other files
    (one worker: all of them) are hashed by the parent, correctly."""
    mode, forked, names = PATHS[path]
    monkeypatch.setenv("MBOM_HASH_MMAP", mode)
    monkeypatch.setattr(_engine, "can_fork", lambda: forked)
    contents = _model(tmp_path / "m", (4 * MIB, 3 * MIB, 2 * MIB))
    victim = tmp_path / "m" / "shard-0.bin"  # the largest: the first the worker takes
    _cut_while_hashing(monkeypatch, victim)
    tree = hash_tree(tmp_path / "m", algorithms=names, jobs=1, report_anomalies=True)
    [anomaly] = tree.anomalies
    assert (anomaly.path, anomaly.kind) == ("shard-0.bin", "unreadable-file")
    assert anomaly.detail == f"{victim}: changed while being hashed (size {4 * MIB} -> 1000)"
    expected = _expected(contents)
    del expected["shard-0.bin"]
    assert _digests(tree, names) == {p: {n: d[n] for n in names} for p, d in expected.items()}


def test_a_worker_killed_otherwise_is_replaced_by_a_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a SIGBUS (the OOM killer, say): nothing changed, so its files are read here."""
    monkeypatch.setenv("MBOM_HASH_MMAP", "1")
    contents = _model(tmp_path / "m", (3 * MIB, 2 * MIB))
    parent = os.getpid()

    def die() -> None:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    _cut_while_hashing(monkeypatch, tmp_path / "m" / "shard-0.bin", action=die)
    tree = hash_tree(tmp_path / "m", algorithms=("sha256", "blake3"), jobs=2)
    assert _digests(tree, ("sha256", "blake3")) == _expected(contents)


def test_no_worker_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MBOM_HASH_MMAP", "1")
    _model(tmp_path / "m", (4 * MIB, 3 * MIB, 2 * MIB))
    forked: list[int] = []
    fork = _mapped._fork

    def counted(plan, indexes, threads):  # type: ignore[no-untyped-def]
        worker = fork(plan, indexes, threads)
        forked.append(worker.pid)
        return worker

    monkeypatch.setattr(_mapped, "_fork", counted)
    _cut_while_hashing(monkeypatch, tmp_path / "m" / "shard-2.bin")
    with pytest.raises(ObjectChangedError):
        hash_tree(tmp_path / "m", jobs=2)
    assert len(forked) == 2
    for pid in forked:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


_CLI = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    import pytest
    from tests.hashing import test_mapped
    from mbom.hashing import _engine

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(_engine, "can_fork", lambda: {forked})
    test_mapped._cut_while_hashing(monkeypatch, Path({victim!r}))
    from mbom.cli.main import main
    sys.argv = ["mbom", *{argv!r}]
    main()
    """
)


@pytest.mark.parametrize("path", PATHS, ids=list(PATHS))
def test_the_cli_prints_one_line_and_exits_2(tmp_path: Path, path: str) -> None:
    mode, forked, names = PATHS[path]
    _model(tmp_path / "m", (4 * MIB, 3 * MIB, 2 * MIB))
    victim = tmp_path / "m" / "shard-1.bin"
    algorithms = [arg for name in names for arg in ("--algorithm", name)]
    for argv in (
        ["hash", str(tmp_path / "m"), "--no-cache", *algorithms[-2:]],
        [
            "generate",
            "--model",
            str(tmp_path / "m"),
            "--no-cache",
            "--no-environment",
            "-o",
            str(tmp_path / "bom.cdx.json"),
            *algorithms,
        ],
    ):
        if victim.stat().st_size != 3 * MIB:
            victim.write_bytes(b"\x02" * 3 * MIB)
        script = _CLI.format(
            root=str(Path(__file__).resolve().parents[2]),
            forked=forked,
            victim=str(victim),
            argv=argv,
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env={**os.environ, "MBOM_HASH_MMAP": mode},
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert done.stderr == (
            f"mbom: error: {victim}: changed while being hashed (size {3 * MIB} -> 1000)\n"
        )
        assert not (tmp_path / "bom.cdx.json").exists()


@pytest.mark.parametrize(
    ("victim", "killed"), [("shard-0.bin", True), ("shard-1.bin", False)], ids=["mapped", "read"]
)
def test_a_measuring_worker_names_a_file_cut_in_either_kind_of_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, victim: str, killed: bool
) -> None:
    """One worker, one window a file: it maps shard-0 (its first window) and reads shard-1
    (its second), so the cut lands in a mapped window (SIGBUS) or a read one (short read)."""
    _model(tmp_path / "m", (4 * MIB, 3 * MIB, 2 * MIB))
    cut = tmp_path / "m" / victim
    before = cut.stat().st_size
    _cut_while_hashing(monkeypatch, cut)
    deaths = _record_deaths(monkeypatch)
    with pytest.raises(ObjectChangedError) as raised:
        hash_tree(tmp_path / "m", algorithms=("sha256",), jobs=1)
    assert (signal.SIGBUS in deaths) == killed
    assert raised.value.message == f"{cut}: changed while being hashed (size {before} -> 1000)"
