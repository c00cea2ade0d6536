from __future__ import annotations

import os
import platform
import shutil
import stat
from pathlib import Path

import pytest

from mbom.capture import environment
from mbom.capture.environment import (
    ContainerImage,
    GPUInfo,
    capture_environment,
    normalise_package_name,
    parse_container_image,
)
from mbom.errors import InputError

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda cmd, *a, **k: None if cmd == "nvidia-smi" else real_which(cmd)
    )


def fake_nvidia_smi(directory: Path, body: str) -> None:
    script = directory / "nvidia-smi"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_python_and_packages(no_gpu: None) -> None:
    record = capture_environment()
    assert record.python_version == platform.python_version()
    assert record.python_implementation == platform.python_implementation()
    names = [package.name for package in record.packages]
    assert "pytest" in names
    assert "pyyaml" in names  # normalised from "PyYAML"
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert record.git is None and record.container_image is None


def test_packages_can_be_left_out(no_gpu: None) -> None:
    assert capture_environment(include_packages=False).packages == ()


def test_os_and_machine(no_gpu: None) -> None:
    record = capture_environment(include_packages=False)
    assert record.os.system == platform.system()
    assert record.os.release == platform.release()
    assert record.machine.architecture == platform.machine()
    assert record.machine.logical_cpus == os.cpu_count()


def test_cpu_model_from_cpuinfo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_gpu) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test  CPU @ 3.0GHz\n", encoding="utf-8")
    monkeypatch.setattr(environment, "CPUINFO", cpuinfo)
    assert capture_environment(include_packages=False).machine.cpu_model == "Test CPU @ 3.0GHz"
    monkeypatch.setattr(environment, "CPUINFO", tmp_path / "absent")
    assert capture_environment(include_packages=False).machine.cpu_model is None


def test_deterministic(no_gpu: None) -> None:
    assert capture_environment() == capture_environment()


def test_no_nvidia_smi_means_no_gpu(no_gpu: None) -> None:
    assert capture_environment(include_packages=False).gpus == ()


def test_nvidia_smi_not_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert environment.nvidia_gpus() == ()


def test_fake_nvidia_smi_is_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_nvidia_smi(
        tmp_path,
        "echo 'NVIDIA H100 80GB HBM3, 550.54.15, 81559 MiB'\n"
        "echo 'NVIDIA A100-SXM4-40GB, 550.54.15, 40960 MiB'",
    )
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert capture_environment(include_packages=False).gpus == (
        GPUInfo("NVIDIA A100-SXM4-40GB", "550.54.15", "40960 MiB"),
        GPUInfo("NVIDIA H100 80GB HBM3", "550.54.15", "81559 MiB"),
    )


@pytest.mark.parametrize(
    "body",
    [
        "echo 'NVIDIA-SMI has failed' >&2; exit 9",
        "echo 'garbage without commas'",
    ],
)
def test_failing_nvidia_smi_means_no_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    fake_nvidia_smi(tmp_path, body)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert environment.nvidia_gpus() == ()


def test_hung_nvidia_smi_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_nvidia_smi(tmp_path, "exec sleep 30")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(environment, "NVIDIA_SMI_TIMEOUT_S", 0.3)
    assert environment.nvidia_gpus() == ()


def test_container_image_digest() -> None:
    assert parse_container_image(f"ghcr.io/org/train:1.2@{DIGEST}") == ContainerImage(
        "ghcr.io/org/train:1.2", DIGEST
    )
    assert parse_container_image(f"localhost:5000/img@{DIGEST}").name == "localhost:5000/img"
    assert parse_container_image(DIGEST) == ContainerImage(None, DIGEST)


@pytest.mark.parametrize(
    "reference",
    [
        "ghcr.io/org/train:1.2",
        "ghcr.io/org/train@sha256:1234",
        "sha256:" + "AB" * 32,
        "img@sha512:" + "ab" * 64,
        f"@{DIGEST}",
        f"bad name@{DIGEST}",
        "",
    ],
)
def test_bad_container_digest_is_input_error(reference: str, no_gpu: None) -> None:
    with pytest.raises(InputError, match="container image"):
        capture_environment(container_image=reference, include_packages=False)


def test_git_dir_is_captured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_gpu) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    record = capture_environment(git_dir=tmp_path, include_packages=False)
    assert record.git is None


def test_normalise_package_name() -> None:
    assert normalise_package_name("Foo_Bar.baz--qux") == "foo-bar-baz-qux"


METADATA_CASES = {
    "plain": "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.2.3\n\nName: not-this\n",
    "crlf": "Metadata-Version: 2.1\r\nName: crlf\r\nVersion: 0.1\r\n\r\nbody\r\n",
    "folded": "Metadata-Version: 2.1\nName: folded\nVersion: 2.0\nSummary: a\n  b\n\nbody",
    "tab-and-spaces": "Name:\t  spaced  \nVersion:  3 \n",
    "no-name": "Metadata-Version: 2.1\nVersion: 1.0\n",
    "empty-name": "Name:\nVersion: 1\n",
    "twice": "Name: first\nName: second\nVersion: 1\nVersion: 2\n",
    "not-a-header": "Name: odd\nthis is no header\nVersion: 9\n",
    "lower-keys": "name: lower\nversion: 4\n",
    "cr-only": "Name: cr\rVersion: 7\r\rName: body\r",
    "no-final-newline": "Name: last\nVersion: 8",
    "blank-first": "\nName: hidden\nVersion: 1\n",
    "long-body": "Name: long\nVersion: 6\n\n" + "text: more\n" * 5000,
    "pkg-info": None,
    "nothing": "",
}


@pytest.mark.parametrize("case", METADATA_CASES)
def test_package_headers_read_as_the_email_parser_reads_them(tmp_path: Path, case: str) -> None:
    """The header-only reader gives what ``dist.metadata["Name"]`` / ``dist.version`` give."""
    import importlib.metadata

    folder = tmp_path / "pkg.dist-info"
    folder.mkdir()
    text = METADATA_CASES[case]
    if text is None:
        (folder / "PKG-INFO").write_text("Name: from-pkg-info\nVersion: 5\n\nbody\n")
    else:
        (folder / "METADATA").write_bytes(text.encode())
    dist = importlib.metadata.PathDistribution(folder)
    name, version = environment._parsed_name_and_version(dist)
    # An empty name is skipped like a missing one (installed_packages tests truth).
    assert environment._name_and_version(dist) == (name or None, version if name else None)


def test_installed_packages_are_those_importlib_reports() -> None:
    import importlib.metadata

    found: dict[str, tuple[str, str]] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and normalise_package_name(name) not in found:
            found[normalise_package_name(name)] = (dist.version or "", name)
    assert environment.installed_packages() == tuple(
        environment.Package(name, *found[name]) for name in sorted(found)
    )
