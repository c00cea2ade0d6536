"""``--dask`` on the command line: the same output as a local run, one-line errors (exit 2)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli

FAST_FAIL = {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    for index in range(400):
        path = root / f"shard-{index % 4}" / f"row-{index:04d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"id": index, "text": "x" * (index % 50)}))
    return root


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", ["hash", "generate", "verify"])
def test_help_names_the_option(command: str) -> None:
    done = run_cli(command, "--help")
    assert done.returncode == 0 and "--dask ADDRESS" in done.stdout
    assert "tcp://HOST:8786" in " ".join(done.stdout.split()) and "local:N" in done.stdout


def test_an_unreachable_scheduler_is_one_line_exit_2(dataset: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    done = run_cli("hash", dataset, "--dask", address, "--format", "json", env=FAST_FAIL)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot reach the Dask scheduler at {address}" in lines[0]


def test_the_environment_names_the_scheduler(dataset: Path, tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**FAST_FAIL, "MBOM_DASK_SCHEDULER": address}
    done = run_cli("generate", "--model", dataset, "-o", tmp_path / "bom.cdx.json", env=env)
    assert done.returncode == 2 and f"cannot reach the Dask scheduler at {address}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_bad_local_spec_is_one_line_exit_2(dataset: Path) -> None:
    done = run_cli("hash", dataset, "--dask", "local:0")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "mbom: error: --dask local:0: expected local:N with N >= 1 worker processes"
    )


def test_hash_on_the_cluster_prints_what_a_local_run_prints(cluster, dataset: Path) -> None:
    local = run_cli("hash", dataset, "--no-cache", "--format", "json")
    remote = run_cli("hash", dataset, "--dask", cluster.address, "--format", "json")
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr
    mine, theirs = json.loads(local.stdout), json.loads(remote.stdout)
    assert (theirs["root"], theirs["files"]) == (mine["root"], mine["files"])


def test_generate_on_the_cluster_records_the_same_dataset(cluster, dataset, tmp_path) -> None:
    roots = []
    for name, extra in (("local", ()), ("dask", ("--dask", cluster.address))):
        output = tmp_path / f"{name}.cdx.json"
        done = run_cli(
            "generate",
            "--model",
            dataset / "shard-0",
            "--dataset",
            f"rows={dataset}",
            "--no-environment",
            "-o",
            output,
            *extra,
            env={"SOURCE_DATE_EPOCH": "1700000000"},
        )
        assert done.returncode == 0, done.stderr
        document = json.loads(output.read_text())
        data = [c for c in document["components"] if c.get("type") == "data"]
        roots.append(json.dumps(data[0].get("properties"), sort_keys=True))
    assert roots[0] == roots[1]
