"""Content-based detection: what is a pickle, what is not, and the limits that fail closed."""

from __future__ import annotations

import gzip
import io
import pickle
import sys
import zipfile
from pathlib import Path

import pytest

from mbom.capture.checkpoints import inspect_checkpoint, streams
from mbom.capture.checkpoints.content import MAX_DEPTH

EVIL = b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00echo\x85R."


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "data",
    [
        b"import torch\nimport os\n",  # INST reads "mport torch": no module can have that name
        b"class Tiny:\n    pass\n",  # GLOBAL "lass Tiny:": not importable
        b"# title\n",
        b"[PAD]\n[UNK]\n",
        b"\x93\x00\x01\x02\x03",  # STACK_GLOBAL on an empty stack: the unpickler stops first
        b"K\x05K\x07\x93rest",  # STACK_GLOBAL on ints: the unpickler stops first
        b".\x00\x00\xc0@",  # STOP on an empty stack (a float32 storage starting with 0x2e)
        b"",
    ],
)
def test_text_and_blobs_are_not_pickles(tmp_path: Path, data: bytes) -> None:
    assert inspect_checkpoint(_write(tmp_path, "notes.txt", data)) is None


def test_torch_storage_bytes_that_look_like_opcodes_are_not_flagged(tmp_path: Path) -> None:
    state = pickle.dumps({"w": 1}, protocol=2)
    data = _zip(
        {
            "archive/data.pkl": state,
            "archive/data/0": b"\x93" + bytes(range(200)),
            "archive/data/1": b".\x00\xc0@" * 8,  # seen in a real optimizer.pt
        }
    )
    info = inspect_checkpoint(_write(tmp_path, "model.pt", data))
    assert info is not None and info.format == "pytorch" and info.safe_to_load


def test_trailing_non_pickle_bytes_are_ignored_but_a_second_pickle_is_scanned(
    tmp_path: Path,
) -> None:
    benign = pickle.dumps([1, 2], protocol=2)
    info = inspect_checkpoint(_write(tmp_path, "a.pkl", benign + b"\x00garbage"))
    assert info is not None and info.safe_to_load
    info = inspect_checkpoint(_write(tmp_path, "b.pkl", benign + EVIL))
    assert info is not None and info.dangerous_globals == ("posix.system",)
    assert len(info.details.pickles) == 2


def test_object_npy_of_plain_values_executes_code_but_is_safe(tmp_path: Path) -> None:
    numpy = pytest.importorskip("numpy")
    path = tmp_path / "objects.npy"
    numpy.save(path, numpy.array([1, "a"], dtype=object), allow_pickle=True)
    info = inspect_checkpoint(path)
    assert info is not None and info.format == "numpy" and info.executes_code
    assert info.safe_to_load
    numpy.save(path, numpy.arange(3.0))
    info = inspect_checkpoint(path)
    assert info is not None and not info.executes_code and info.safe_to_load


def test_missing_zstd_or_lz4_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the decompressor the content is unknown: never "safe to load".
    monkeypatch.setitem(sys.modules, "zstandard", None)
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    for name, magic in (("a.pkl.zst", b"\x28\xb5\x2f\xfd"), ("b.pkl.lz4", b"\x04\x22\x4d\x18")):
        info = inspect_checkpoint(_write(tmp_path, name, magic + b"\x00" * 32))
        assert info is not None and not info.safe_to_load and info.executes_code
        assert any("not scanned" in issue for issue in info.issues), info.issues


def test_decompression_bomb_stops_and_fails_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streams, "MAX_DECOMPRESSED", 1 << 20)
    # 4 MiB of string data before the import: past the (lowered) budget.
    bomb = b"\x80\x02X" + (4 << 20).to_bytes(4, "little") + b"A" * (4 << 20) + b"0" + EVIL[2:]
    info = inspect_checkpoint(_write(tmp_path, "model.joblib", gzip.compress(bomb)))
    assert info is not None and not info.safe_to_load
    assert any("decompressed bytes" in issue for issue in info.issues), info.issues
    small = gzip.compress(pickle.dumps({"a": 1}, protocol=2))
    info = inspect_checkpoint(_write(tmp_path, "ok.pkl.gz", small))
    assert info is not None and info.safe_to_load and info.compression == "gzip"


def test_deep_zips_stop_at_the_depth_limit(tmp_path: Path) -> None:
    data = EVIL
    for level in range(MAX_DEPTH + 2):
        data = _zip({f"level{level}.bin": data})
    info = inspect_checkpoint(_write(tmp_path, "deep.zip", data))
    assert info is not None and not info.safe_to_load
    assert any("too deep" in issue for issue in info.issues), info.issues


def test_corrupt_compressed_pickle_is_not_safe(tmp_path: Path) -> None:
    packed = gzip.compress(EVIL + EVIL)
    broken = packed[: len(packed) // 2] + b"\xff" * 8
    info = inspect_checkpoint(_write(tmp_path, "x.pkl.gz", broken))
    assert info is None or not info.safe_to_load


def test_compression_magic_by_coincidence_is_not_an_error(tmp_path: Path) -> None:
    # 0x78 0x5e is a valid zlib header; the rest is text, not zlib data.
    assert inspect_checkpoint(_write(tmp_path, "notes.txt", b"x^2 + y^2\n")) is None


TA = b"ctransformers.training_args\nTrainingArguments\n"


@pytest.mark.parametrize(
    ("data", "safe"),
    [
        (b"\x80\x02" + TA + b")\x81}X\x01\x00\x00\x00aK\x01sb.", True),  # NEWOBJ + BUILD
        (b"\x80\x02" + TA + b"q\x00)\x81h\x00)\x81\x86.", True),  # memoized, NEWOBJ twice
        (b"\x80\x02" + TA + b")R.", False),  # called: its constructor runs
        (b"\x80\x02" + TA + b"q\x000h\x00)R.", False),  # called after a memo round trip
        (b"(" + b"itransformers.training_args\nTrainingArguments\n.", False),  # INST
        (  # handed to a safe function that calls it: func(*args)
            b"\x80\x02ctorch._tensor\n_rebuild_from_type_v2\n(" + TA
            + b"ctorch\nTensor\n)}tR.",
            False,
        ),
        (b"\x80\x02ctransformers.trainer_utils\nIntervalStrategy\nX\x05\x00\x00\x00stepsR.", True),
    ],
)  # fmt: skip
def test_trainer_argument_classes_are_safe_only_as_reconstructed_objects(
    tmp_path: Path, data: bytes, safe: bool
) -> None:
    # A real Trainer's training_args.bin pickles TrainingArguments by NEWOBJ + state: safe.
    # The same class called with arguments runs its constructor: not safe.
    info = inspect_checkpoint(_write(tmp_path, "training_args.bin", data))
    assert info is not None and info.safe_to_load is safe, (info.unsafe_globals, info.issues)
