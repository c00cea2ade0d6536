"""``--dask`` specs, and dask being optional: never imported with mbom, one line when missing."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from mbom.errors import InputError
from mbom.hashing._dask import ENV_SCHEDULER, MISSING, DaskExecutor, executor_for
from tests.helpers.scan_location import ScanLocation


def test_no_spec_and_no_environment_means_no_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SCHEDULER, raising=False)
    assert executor_for(None) is None


def test_the_environment_names_the_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SCHEDULER, "tcp://scheduler.example:8786")
    executor = executor_for(None)
    assert isinstance(executor, DaskExecutor) and executor.address == "tcp://scheduler.example:8786"
    assert executor_for("local:3").display == "local:3"  # an explicit spec wins


def test_an_address_is_shown_without_user_info() -> None:
    assert DaskExecutor("tls://user:secret@sched:8786").display == "tls://sched:8786"


@pytest.mark.parametrize("spec", ["local:0", "local:x", "local:-1", "  "])
def test_a_bad_spec_is_one_line(spec: str) -> None:
    with pytest.raises(InputError, match=r"--dask") as caught:
        executor_for(spec)
    assert "\n" not in str(caught.value)


def test_importing_mbom_hashing_imports_no_dask() -> None:
    code = (
        "import sys, mbom, mbom.hashing, mbom.hashing._dask, mbom.cli.main;"
        "bad = [m for m in ('dask', 'distributed') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_missing_distributed_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(InputError) as caught:
        DaskExecutor(local_workers=1).run(
            ScanLocation(tmp_path), ("sha256",), emit=list, progress=None, tolerant=False
        )
    assert str(caught.value) == MISSING and caught.value.exit_code == 2


def test_an_unreachable_scheduler_is_one_line(tmp_path) -> None:
    pytest.importorskip("distributed", reason="needs dask.distributed (mbom[dask])")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    executor = DaskExecutor(f"tcp://127.0.0.1:{port}", timeout=2)
    with pytest.raises(InputError) as caught:
        executor.run(ScanLocation(tmp_path), ("sha256",), emit=list, progress=None, tolerant=False)
    message = str(caught.value)
    assert message.startswith(f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: ")
    assert "\n" not in message and caught.value.exit_code == 2
