"""The malicious pickle corpus: every file really runs its payload, mbom flags every one of
them, catches everything picklescan catches, and flags none of the benign or real-model files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from mbom.capture.checkpoints import inspect_checkpoint
from tests.helpers.pickle_corpus import Sample, build_benign, build_corpus

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def benign(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    samples = build_benign(tmp_path_factory.mktemp("benign"))
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from pickle_corpus import real_model_files
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return samples + real_model_files()


def _flagged(path: Path) -> bool:
    info = inspect_checkpoint(path)
    return info is not None and not info.safe_to_load


def test_corpus_is_large_and_varied(corpus: list[Sample]) -> None:
    assert len(corpus) >= 102
    assert len({s.technique for s in corpus}) == len(corpus)
    loaders = {s.loader for s in corpus}
    assert {"pickle", "pickle-all", "torch", "numpy", "any"} <= loaders


def test_every_payload_really_runs_when_loaded(corpus: list[Sample]) -> None:
    # The victim's loaders (pickle, torch.load(weights_only=False), numpy allow_pickle,
    # joblib, decompress-then-load), in subprocesses: each payload creates its sentinel.
    by_loader: dict[str, list[str]] = defaultdict(list)
    for sample in corpus:
        by_loader[sample.loader].append(str(sample.path))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for loader, files in sorted(by_loader.items()):
        subprocess.run(
            [sys.executable, "-m", "tests.helpers.hostile_load", loader, *files],
            cwd=REPO,
            env=env,
            check=True,
            timeout=600,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    not_run = [s.technique for s in corpus if s.sentinel is None or not s.sentinel.exists()]
    assert not_run == []


def test_mbom_flags_every_corpus_file(corpus: list[Sample]) -> None:
    missed = [f"{s.path.name}: {s.technique}" for s in corpus if not _flagged(s.path)]
    assert missed == []


def test_findings_name_the_callable(corpus: list[Sample]) -> None:
    by_name = {s.technique: s for s in corpus}
    info = inspect_checkpoint(by_name["pickle named training_args.bin"].path)
    assert info is not None and "os.system" in info.dangerous_globals
    info = inspect_checkpoint(by_name["builtins.eval (protocol 2)"].path)
    assert info is not None and info.dangerous_globals == ("builtins.eval",)
    info = inspect_checkpoint(by_name["STACK_GLOBAL names from the memo"].path)
    assert info is not None and info.dangerous_globals == ("posix.system",)
    info = inspect_checkpoint(by_name["STACK_GLOBAL names computed (rot13)"].path)
    assert info is not None and any("cannot be resolved" in i for i in info.issues)
    info = inspect_checkpoint(by_name["gzip-compressed pickle"].path)
    assert info is not None and info.compression == "gzip" and info.format == "pickle"
    info = inspect_checkpoint(by_name["legacy torch, payload in pickle 4"].path)
    assert info is not None and info.format == "pytorch-legacy"
    assert info.dangerous_globals == ("posix.system",)


def test_no_benign_or_real_model_file_is_flagged(benign: list[Sample]) -> None:
    assert len(benign) >= 25
    flagged = [f"{s.path.name}: {s.technique}" for s in benign if _flagged(s.path)]
    assert flagged == []


def test_real_torch_checkpoints_are_code_executing_but_safe(benign: list[Sample]) -> None:
    for sample in benign:
        if sample.path.suffix in (".pt", ".pth", ".ckpt") or sample.path.name == "tensor.bin":
            info = inspect_checkpoint(sample.path)
            assert info is not None and info.executes_code and info.safe_to_load, sample.path
            assert info.format in ("pytorch", "pytorch-legacy")


def test_mbom_catches_everything_picklescan_catches(corpus: list[Sample]) -> None:
    scanner = pytest.importorskip(
        "picklescan.scanner", reason="picklescan==1.0.5 (dev extra) is not installed"
    )

    def caught_by_picklescan(path: Path) -> bool:
        try:
            return scanner.scan_file_path(str(path)).issues_count > 0
        except ValueError:  # picklescan's own crash on some inputs: not a catch
            return False

    caught = [s for s in corpus if caught_by_picklescan(s.path)]
    assert caught, "picklescan caught nothing: the comparison would be empty"
    assert [s.technique for s in caught if not _flagged(s.path)] == []


def test_mbom_catches_everything_modelscan_catches(corpus: list[Sample]) -> None:
    modelscan = pytest.importorskip(
        "modelscan.modelscan", reason="modelscan==0.8.8 (dev extra) is not installed"
    )
    caught = []
    for sample in corpus:
        scan = modelscan.ModelScan()
        scan.scan(str(sample.path))
        if scan.issues.all_issues:
            caught.append(sample)
    assert caught
    assert [s.technique for s in caught if not _flagged(s.path)] == []
