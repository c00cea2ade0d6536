"""The attack: swap a model file between its hash and its inspection.

generate hashes every file, then opens it again to read what it is. A process that can write
the model directory in between could have a pickle's digest signed with the verdict of
harmless bytes, and verify would then let that pickle through a policy that refuses pickles.
Each test here does the swap at exactly that moment (after ``hash_tree`` returns, before any
inspection) and must get "changed while being hashed", never a BOM.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mbom.capture.inspection as inspection
import mbom.capture.model as model_module
from mbom._pinned import pinned
from mbom.capture.checkpoints._reader import read_prefix
from mbom.capture.model import capture_model
from mbom.errors import ObjectChangedError
from mbom.hashing import file_identity, settled_horizon

EVIL = b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00echo\x85R."
HARMLESS = b"#" * (len(EVIL) - 1) + b"\n"  # same size: no size check can notice


def _settled(*paths: Path) -> None:
    """Wait until the filesystem clock has passed every path's ctime (a file written earlier)."""
    for path in paths:
        settled_horizon(str(path), os.stat(path).st_ctime_ns)


def _swap_after_hashing(monkeypatch: pytest.MonkeyPatch, swap) -> None:
    real = model_module.hash_tree

    def hash_then_swap(*args, **kwargs):
        tree = real(*args, **kwargs)
        swap()
        return tree

    monkeypatch.setattr(model_module, "hash_tree", hash_then_swap)


def _rewrite(path: Path, data: bytes):
    """Overwrite the start of ``path`` in place: same inode, same size."""

    def rewrite() -> None:
        with open(path, "r+b") as fh:
            fh.write(data)

    return rewrite


def _model(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "sub" / "weights.bin").write_bytes(EVIL)
    return model


def test_untouched_model_records_the_pickle(tmp_path: Path) -> None:
    model = _model(tmp_path)
    _settled(model / "sub" / "weights.bin")
    record = capture_model(model, cache=False)
    (weights,) = [f for f in record.files if f.path == "sub/weights.bin"]
    assert weights.checkpoint is not None and not weights.checkpoint.safe_to_load


def test_rewritten_in_place_after_hashing_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(tmp_path)
    weights = model / "sub" / "weights.bin"
    _settled(weights)
    _swap_after_hashing(monkeypatch, _rewrite(weights, HARMLESS))
    with pytest.raises(ObjectChangedError, match=r"weights\.bin: changed while being hashed"):
        capture_model(model, cache=False)


def test_replaced_by_another_file_after_hashing_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(tmp_path)
    decoy = tmp_path / "decoy.bin"
    decoy.write_bytes(HARMLESS)
    _settled(model / "sub" / "weights.bin", decoy)
    _swap_after_hashing(monkeypatch, lambda: os.replace(decoy, model / "sub" / "weights.bin"))
    with pytest.raises(ObjectChangedError, match="changed while being hashed"):
        capture_model(model, cache=False)


def test_directory_swapped_and_back_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename of the parent directory leaves the decoy's own ctime old: only its inode
    tells it from the file that was hashed."""
    model = _model(tmp_path)
    decoy_dir = tmp_path / "decoy"
    decoy_dir.mkdir()
    (decoy_dir / "weights.bin").write_bytes(HARMLESS)
    _settled(model / "sub" / "weights.bin", decoy_dir / "weights.bin")

    def swap_directories() -> None:
        os.rename(model / "sub", tmp_path / "hashed")
        os.rename(decoy_dir, model / "sub")

    _swap_after_hashing(monkeypatch, swap_directories)
    with pytest.raises(ObjectChangedError, match=r"weights\.bin: changed while being hashed"):
        capture_model(model, cache=False)


def test_cached_digest_is_bound_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A digest taken from the hash cache (no read at all) pins inspection the same way."""
    from mbom.hashing import HashCache

    model = _model(tmp_path)
    weights = model / "sub" / "weights.bin"
    _settled(weights)
    cache = HashCache(tmp_path / "cache")
    monkeypatch.setattr(cache, "racy_horizon", lambda path: 2**62)  # store it now
    capture_model(model, cache=cache)
    _swap_after_hashing(monkeypatch, _rewrite(weights, HARMLESS))
    with pytest.raises(ObjectChangedError, match="changed while being hashed"):
        capture_model(model, cache=cache)


def test_file_written_in_the_horizon_tick_is_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written just before generate (same clock tick as the horizon): the first read cannot be
    told from a write during generate, so the file is hashed again once the clock moved on."""
    model = _model(tmp_path)
    monkeypatch.setattr(model_module, "filesystem_horizon", lambda path: 0)  # every file "new"
    again = []
    real = inspection.hash_file_identified

    def counted(path, algorithms):
        again.append(os.path.basename(path))
        return real(path, algorithms)

    monkeypatch.setattr(inspection, "hash_file_identified", counted)
    record = capture_model(model, cache=False)
    assert sorted(again) == ["config.json", "weights.bin"]
    (weights,) = [f for f in record.files if f.path == "sub/weights.bin"]
    assert not weights.checkpoint.safe_to_load


def test_new_file_rewritten_after_hashing_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(tmp_path)
    weights = model / "sub" / "weights.bin"
    monkeypatch.setattr(model_module, "filesystem_horizon", lambda path: 0)
    _swap_after_hashing(monkeypatch, _rewrite(weights, HARMLESS))
    with pytest.raises(ObjectChangedError, match="digest differs on a second read"):
        capture_model(model, cache=False)


def test_model_card_swapped_after_hashing_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card's license is what a license rule checks: it must be the hashed card's."""
    model = _model(tmp_path)
    card = model / "README.md"
    card.write_text("---\nlicense: other\n---\n# A model\n")
    _settled(card)
    _swap_after_hashing(monkeypatch, _rewrite(card, b"---\nlicense: mit\n"))
    with pytest.raises(ObjectChangedError, match=r"README\.md: changed while being hashed"):
        capture_model(model, cache=False)


def test_pinned_path_is_matched_however_it_is_spelled(tmp_path: Path) -> None:
    from mbom.load import read_text

    path = tmp_path / "config.json"
    path.write_text("{}")
    (tmp_path / "sub").mkdir()
    stale = (0, 0, 0, 0, 0)
    with pinned({str(path): stale}), pytest.raises(ObjectChangedError):
        read_text(f"{tmp_path}/./sub/../config.json")


def test_pinned_reader_refuses_another_identity(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(EVIL)
    identity = file_identity(os.stat(path))
    with pinned({str(path): identity}):
        assert read_prefix(path, 4) == (EVIL[:4], len(EVIL))
    stale = (identity[0], identity[1], identity[2] - 1, identity[3], identity[4])
    with pinned({str(path): stale}), pytest.raises(ObjectChangedError) as caught:
        read_prefix(path, 4)
    assert caught.value.path == str(path)
    assert f"ctime {identity[2] - 1}" in caught.value.expected
    read_prefix(path, 4)  # outside the block, unpinned
