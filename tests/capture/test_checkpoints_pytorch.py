"""PyTorch checkpoints and the static pickle scan, on hand-built files; torch is not needed.

No test here ever unpickles: malicious payloads are only written, then inspected, and each
malicious test checks that its sentinel file was never created.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import pickletools
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from mbom.capture.checkpoints import (
    classify,
    inspect_checkpoint,
    read_pickle_file,
    read_pytorch,
    scan_pickle,
    scan_pickle_bytes,
)
from mbom.errors import MalformedFileError


def unicode(text: str) -> bytes:
    """BINUNICODE opcode."""
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def state_dict_pickle(names: list[str]) -> bytes:
    """Protocol-2 opcodes laid out as torch.save writes a state dict of 2x2 float tensors."""
    out = bytearray(b"\x80\x02")
    out += b"ccollections\nOrderedDict\nq\x00)Rq\x01("  # OrderedDict(), MARK
    for key, name in enumerate(names):
        out += unicode(name)
        out += b"ctorch._utils\n_rebuild_tensor_v2\n("  # function, MARK for its args
        out += b"(" + unicode("storage") + b"ctorch\nFloatStorage\n"  # persistent id tuple
        out += unicode(str(key)) + unicode("cpu") + b"K\x04tQ"  # TUPLE, BINPERSID
        out += b"K\x00" + b"K\x02K\x02\x86" + b"K\x02K\x01\x86" + b"\x89"  # offset, size, stride
        out += b"ccollections\nOrderedDict\n)R" + b"tR"  # hooks; TUPLE, REDUCE
    out += b"u."  # SETITEMS, STOP
    return bytes(out)


def write_torch_zip(path: Path, data_pkl: bytes, storages: int = 1) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", "little")
        for key in range(storages):
            archive.writestr(f"archive/data/{key}", bytes(16))
        archive.writestr("archive/version", "3\n")
        archive.writestr("archive/.data/serialization_id", "1234567890")
    return path


class RunsCommand:
    """Pickles as a call to os.system: the classic malicious checkpoint."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (self.command,))


def malicious_pickle(sentinel: Path, protocol: int) -> bytes:
    return pickle.dumps({"weights": [1, 2], "x": RunsCommand(f"touch {sentinel}")}, protocol)


def test_fixture_is_a_well_formed_pickle() -> None:
    # pickletools.dis decodes and checks the stack discipline; it executes nothing.
    pickletools.dis(state_dict_pickle(["a", "b"]), out=open(os.devnull, "w"))  # noqa: SIM115


def test_realistic_zip_checkpoint(tmp_path: Path) -> None:
    path = write_torch_zip(tmp_path / "model.pt", state_dict_pickle(["w", "b"]), storages=2)
    info = read_pytorch(path)
    assert info.format == "pytorch"
    assert info.pickle_globals == (
        "collections.OrderedDict",
        "torch.FloatStorage",
        "torch._utils._rebuild_tensor_v2",
    )
    assert info.unsafe_globals == () and info.dangerous_globals == () and info.issues == ()
    assert info.safe_to_load
    assert info.dtypes == ("float32",)
    assert info.tensor_count is None and info.parameter_count is None
    details = info.details
    assert details.storage_count == 2 and not details.legacy and not details.torchscript
    assert details.archive_version == "3" and details.byteorder == "little"
    names = {m.name: m.size for m in details.members}
    assert names["archive/data/0"] == 16 and "archive/data.pkl" in names
    assert [s.source for s in details.pickles] == ["archive/data.pkl"]
    assert details.pickles[0].protocol == 2


def test_dispatcher_recognises_zip_by_magic(tmp_path: Path) -> None:
    path = write_torch_zip(tmp_path / "weights.anything", state_dict_pickle(["w"]))
    info = inspect_checkpoint(path)
    assert info is not None and info.format == "pytorch"


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_malicious_zip_checkpoint_is_flagged_and_never_run(tmp_path: Path, protocol: int) -> None:
    sentinel = tmp_path / "SENTINEL"
    path = write_torch_zip(tmp_path / "evil.pth", malicious_pickle(sentinel, protocol))
    info = inspect_checkpoint(path)
    assert info is not None
    expected = ("nt.system",) if os.name == "nt" else ("posix.system",)
    assert info.dangerous_globals == expected
    assert set(expected) <= set(info.unsafe_globals)
    assert not info.safe_to_load
    assert not sentinel.exists()


def test_malicious_pickle_hidden_in_second_pkl_member(tmp_path: Path) -> None:
    sentinel = tmp_path / "SENTINEL"
    path = tmp_path / "model.ckpt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", state_dict_pickle(["w"]))
        archive.writestr("archive/extra/other.pkl", malicious_pickle(sentinel, 4))
    info = read_pytorch(path)
    assert len(info.details.pickles) == 2
    assert info.dangerous_globals and not info.safe_to_load
    assert not sentinel.exists()


def test_handwritten_protocol0_os_system(tmp_path: Path) -> None:
    sentinel = tmp_path / "SENTINEL"
    path = tmp_path / "model.pkl"
    path.write_bytes(b"cos\nsystem\n(S'touch " + str(sentinel).encode() + b"'\ntR.")
    info = inspect_checkpoint(path)
    assert info is not None and info.format == "pickle"
    assert info.dangerous_globals == ("os.system",)
    assert not sentinel.exists()


def test_legacy_torch_file_scans_all_five_pickles(tmp_path: Path) -> None:
    sentinel = tmp_path / "SENTINEL"
    path = tmp_path / "legacy.bin"
    with path.open("wb") as out:
        out.write(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2))  # torch's legacy magic
        out.write(pickle.dumps(1001, protocol=2))
        out.write(pickle.dumps({"little_endian": True}, protocol=2))
        out.write(malicious_pickle(sentinel, 2))  # the object itself
        out.write(pickle.dumps(["0"], protocol=2))
        out.write(struct.pack("<q", 128) + b"\x80" * 512)  # raw storage bytes follow
    info = inspect_checkpoint(path)
    assert info is not None and info.format == "pytorch-legacy"
    assert len(info.details.pickles) == 5 and info.issues == ()
    assert info.dangerous_globals in (("posix.system",), ("nt.system",))
    assert not sentinel.exists()


def test_plain_pickle_state_dict_is_safe(tmp_path: Path) -> None:
    path = tmp_path / "weights.pt"
    path.write_bytes(state_dict_pickle(["w"]))
    info = read_pytorch(path)
    assert info.format == "pickle" and info.safe_to_load


def test_stack_global_with_memoized_strings() -> None:
    # Protocol 4: module string memoized with MEMOIZE, fetched back with BINGET.
    data = (
        b"\x80\x04"
        b"\x8c\x02os\x94"  # SHORT_BINUNICODE 'os', MEMOIZE -> memo[0]
        b"\x8c\x06getcwd\x94"  # memo[1]
        b"\x93\x94)R\x94"  # STACK_GLOBAL os.getcwd, MEMOIZE, call it
        b"0"  # POP
        b"h\x00\x8c\x06system\x94\x93"  # BINGET 0 ('os'), 'system', STACK_GLOBAL
        b"\x8c\x04true\x85R."  # ('true',) REDUCE STOP
    )
    scan = scan_pickle_bytes(data, "memo")
    assert [g.qualname for g in scan.globals] == ["os.getcwd", "os.system"]
    assert all(g.verdict == "dangerous" for g in scan.globals)
    assert scan.errors == ()


def test_stack_global_with_binput_binget_indices() -> None:
    data = (
        b"\x80\x04"
        b"\x8c\x08builtinsq\x07"  # BINPUT 7
        b"0"  # POP
        b"\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R0"  # a safe import, POP
        b"h\x07\x8c\x04eval\x93"  # BINGET 7 -> 'builtins', 'eval'
        b"\x8c\x041+1\x85R."
    )
    scan = scan_pickle_bytes(data, "binput")
    verdicts = {g.qualname: g.verdict for g in scan.globals}
    assert verdicts == {"builtins.eval": "dangerous", "collections.OrderedDict": "safe"}


def test_real_pickler_memoizes_module_names() -> None:
    # Two globals from one module: the pickler emits BINGET for the second module string.
    data = pickle.dumps([collections.OrderedDict, collections.Counter], protocol=4)
    assert data.count(b"collections") == 1  # the second use is a BINGET
    scan = scan_pickle_bytes(data, "real")
    verdicts = {g.qualname: g.verdict for g in scan.globals}
    assert verdicts == {"collections.OrderedDict": "safe", "collections.Counter": "unknown"}


def test_unresolvable_stack_global_is_an_error() -> None:
    # STACK_GLOBAL fed by a call's result, not by strings: cannot be judged, so not safe.
    data = b"\x80\x04\x8c\x08builtins\x8c\x03str\x93)R\x8c\x04eval\x93."
    scan = scan_pickle_bytes(data, "dyn")
    assert any("cannot be resolved" in e for e in scan.errors)
    assert not scan.is_safe


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\x04",  # no STOP
        b"\x80\x04\xff.",  # unknown opcode
        b"\x80\x04X\xff\xff\xff\x7f.",  # BINUNICODE longer than the stream
        b"\x80\x02(.",  # STOP would pop the MARK
        b"\x80\x02t.",  # TUPLE without MARK
        b"\x80\x04h\x05.",  # BINGET of a never-stored memo slot
        b"cos\nsys",  # truncated GLOBAL line
    ],
)
def test_malformed_pickles_give_errors_not_crashes(data: bytes) -> None:
    scan = scan_pickle_bytes(data, "bad")
    assert scan.errors and not scan.is_safe


def test_large_payloads_are_skipped_not_read() -> None:
    payload = 8 << 20
    data = b"\x80\x04\x8e" + struct.pack("<Q", payload) + bytes(payload) + b"."
    scan = scan_pickle_bytes(data, "big")
    assert scan.errors == () and scan.opcode_count == 3


def test_legacy_file_that_is_not_a_pickle(tmp_path: Path) -> None:
    path = tmp_path / "broken.pt"
    path.write_bytes(b"\x80\x04\xff\xff garbage")
    with pytest.raises(MalformedFileError, match="neither a zip archive nor a pickle"):
        read_pickle_file(path)


def test_pickle_broken_after_an_import_is_reported_not_raised(tmp_path: Path) -> None:
    sentinel = tmp_path / "SENTINEL"
    path = tmp_path / "model.pkl"
    path.write_bytes(b"cos\nsystem\n(S'touch " + str(sentinel).encode() + b"'\ntR")  # no STOP
    info = read_pickle_file(path)
    assert info.dangerous_globals == ("os.system",)
    assert info.issues and "cannot decode pickle" in info.issues[0]
    assert not info.safe_to_load and not sentinel.exists()


def test_stream_failure_keeps_imports_found_before_it(tmp_path: Path) -> None:
    data = malicious_pickle(tmp_path / "SENTINEL", 0)

    class Corrupt(io.BytesIO):
        """Like a deflated zip member whose compressed data breaks near the end."""

        def read(self, size: int | None = -1, /) -> bytes:
            if self.tell() > len(data) - 4:
                raise zlib.error("Error -3 while decompressing data")
            return super().read(size)

    scan = scan_pickle(Corrupt(data), "archive/data.pkl", limit=len(data))
    assert [g.qualname for g in scan.dangerous_globals] in (["posix.system"], ["nt.system"])
    assert any("read error" in e for e in scan.errors)


def test_pickle_with_zip_appended_is_scanned_as_a_pickle(tmp_path: Path) -> None:
    # torch.load picks zip vs pickle by the first bytes, so this polyglot loads as a pickle.
    sentinel = tmp_path / "SENTINEL"
    path = tmp_path / "polyglot.pt"
    benign = tmp_path / "benign.pt"
    write_torch_zip(benign, state_dict_pickle(["w"]))
    path.write_bytes(malicious_pickle(sentinel, 2) + benign.read_bytes())
    assert zipfile.is_zipfile(path)
    for info in (read_pytorch(path), inspect_checkpoint(path)):
        assert info is not None and info.format == "pickle" and info.dangerous_globals
    assert not sentinel.exists()


def test_zip_without_pickle_is_not_a_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert inspect_checkpoint(path) is None
    with pytest.raises(MalformedFileError, match="holds no pickle"):
        read_pytorch(path)


def test_corrupt_zip_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(MalformedFileError, match=re.escape(str(path))):
        inspect_checkpoint(path)


@pytest.mark.parametrize(
    ("module", "name", "verdict"),
    [
        ("torch._utils", "_rebuild_tensor_v2", "safe"),
        ("torch._utils", "_rebuild_parameter", "safe"),
        ("torch", "BFloat16Storage", "safe"),
        ("collections", "OrderedDict", "safe"),
        ("numpy.core.multiarray", "_reconstruct", "safe"),
        ("os", "system", "dangerous"),
        ("posix", "system", "dangerous"),
        ("nt", "system", "dangerous"),
        ("subprocess", "Popen", "dangerous"),
        ("builtins", "eval", "dangerous"),
        ("builtins", "exec", "dangerous"),
        ("builtins", "getattr", "dangerous"),
        ("__builtin__", "eval", "dangerous"),
        ("runpy", "run_path", "dangerous"),
        ("torch", "load", "dangerous"),
        ("torch", "_utils.os.system", "dangerous"),
        ("collections", "OrderedDict.__class__", "dangerous"),
        ("mypackage.models", "Net", "unknown"),
    ],
)
def test_classify(module: str, name: str, verdict: str) -> None:
    assert classify(module, name) == verdict


def test_classify_maps_python2_names_below_protocol_3() -> None:
    assert classify("__builtin__", "set", protocol=2) == "safe"
    assert classify("__builtin__", "eval", protocol=2) == "dangerous"


def test_against_real_torch_save(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "real.pt"
    torch.save({"w": torch.zeros(2, 2), "b": torch.ones(3, dtype=torch.float16)}, path)
    info = read_pytorch(path)
    assert info.safe_to_load, info.unsafe_globals
    assert info.details.storage_count == 2
    assert set(info.dtypes) == {"float16", "float32"}
