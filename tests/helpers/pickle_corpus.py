"""A corpus of malicious pickles that really run their payload when loaded, and benign files.

Usage::

    from tests.helpers.pickle_corpus import build_corpus, build_benign

    samples = build_corpus(tmp_path / "corpus")      # >= 102 files, deterministic per dir
    benign = build_benign(tmp_path / "benign")       # real torch checkpoints, numpy, text

Each malicious sample's payload creates its own sentinel file (``<root>/.sentinels/<n>``), so a
test can load it in a subprocess with the loader named by ``Sample.loader`` (``pickle``,
``pickle-all``, ``torch``, ``numpy``, ``joblib`` or ``any``: see tests/helpers/hostile_load.py)
and prove that the payload ran. The samples cover every protocol, no PROTO opcode, GLOBAL /
INST / OBJ / NEWOBJ / STACK_GLOBAL (memoized and computed names), ``__reduce__`` chains,
concatenated pickles, torch zip and legacy files (payload in any of the five pickles, magic
number encoded several ways), names and suffixes that do not say pickle, compression
(gzip/bz2/xz/lzma/zlib, zstd/lz4 when installed, real joblib files when joblib is), object
numpy arrays in .npy/.npz, and nested zips. Nothing here loads a sample.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import shlex
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.pickle_ops import (
    benign_state,
    bytes_arg,
    call0,
    call2,
    call4,
    getattr_chain,
    global0,
    inst0,
    memo_stack_global,
    obj1,
    proto,
    rot13_stack_global,
    short,
    stack_global,
    string0,
    text,
)

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DATE = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Sample:
    """One corpus file: where it is, how a victim loads it, what it demonstrates."""

    path: Path
    loader: str
    technique: str
    malicious: bool = True
    sentinel: Path | None = None


class _Corpus:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.samples: list[Sample] = []
        (root / ".sentinels").mkdir(parents=True, exist_ok=True)

    def sentinel(self) -> Path:
        return self.root / ".sentinels" / f"s{len(self.samples):03d}"

    def add(self, name: str, loader: str, technique: str, make: Callable[[Path], bytes]) -> None:
        sentinel = self.sentinel()
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make(sentinel))
        self.samples.append(Sample(path, loader, technique, True, sentinel))


def _cmd(s: Path) -> str:
    return "touch " + shlex.quote(str(s))


def _code(s: Path) -> str:
    return f"open({str(s)!r}, 'w').close()"


def _payloads(own: Callable[[Path], str]) -> dict[str, Callable[[Path], bytes]]:
    """Payload bodies (no PROTO/STOP) by the callable they reach."""

    def argv_call(module: str, name: str) -> Callable[[Path], bytes]:
        return lambda s: global0(module, name) + b"((" + text("touch") + text(str(s)) + b"ltR"

    return {
        "os.system": lambda s: call2("os", "system", _cmd(s)),
        "posix.system": lambda s: call2("posix", "system", _cmd(s)),
        "subprocess.call": argv_call("subprocess", "call"),
        "subprocess.run": argv_call("subprocess", "run"),
        "subprocess.check_call": argv_call("subprocess", "check_call"),
        "subprocess.check_output": argv_call("subprocess", "check_output"),
        "subprocess.getoutput": lambda s: call2("subprocess", "getoutput", _cmd(s)),
        "subprocess.getstatusoutput": lambda s: call2("subprocess", "getstatusoutput", _cmd(s)),
        "builtins.exec": lambda s: call2("builtins", "exec", _code(s)),
        "builtins.eval": lambda s: call2("builtins", "eval", _code(s)),
        "builtins.open": lambda s: call2("builtins", "open", str(s), "w"),
        "__builtin__.eval (py2 name)": lambda s: call2("__builtin__", "eval", _code(s)),
        "getattr(__import__('os'), 'system')": lambda s: getattr_chain("os", "system", _cmd(s)),
        "getattr(__import__('subprocess'), 'getoutput')": lambda s: getattr_chain(
            "subprocess", "getoutput", _cmd(s)
        ),
        "importlib.import_module + getattr": lambda s: (
            global0("builtins", "getattr")
            + b"("
            + call2("importlib", "import_module", "os")
            + text("system")
            + b"tR("
            + text(_cmd(s))
            + b"tR"
        ),
        "functools.partial(os.system)()": lambda s: (
            global0("functools", "partial")
            + b"("
            + global0("os", "system")
            + text(_cmd(s))
            + b"tR)R"
        ),
        "operator.methodcaller('system')": lambda s: (
            global0("operator", "methodcaller")
            + b"("
            + text("system")
            + text(_cmd(s))
            + b"tR("
            + call2("builtins", "__import__", "os")
            + b"tR"
        ),
        "codecs.open": lambda s: call2("codecs", "open", str(s), "w"),
        "shutil.copyfile": lambda s: call2("shutil", "copyfile", own(s), str(s)),
        "runpy._run_code": lambda s: global0("runpy", "_run_code") + b"(" + text(_code(s)) + b"}tR",
        "cProfile.run": lambda s: call2("cProfile", "run", _code(s)),
        "profile.run": lambda s: call2("profile", "run", _code(s)),
        "os.spawnlp": lambda s: (
            global0("os", "spawnlp")
            + b"(K\x00"
            + text("touch")
            + text("touch")
            + text(str(s))
            + b"tR"
        ),
        "numpy runstring": lambda s: (
            global0("numpy.testing._private.utils", "runstring") + b"(" + text(_code(s)) + b"}tR"
        ),
        "pickle.loads(nested)": lambda s: (
            global0("pickle", "loads")
            + b"("
            + bytes_arg(proto(2, call2("os", "system", _cmd(s))))
            + b"tR"
        ),
        "posixpath.os.system (dotted name)": lambda s: (
            stack_global("posixpath", "os.system") + b"(" + short(_cmd(s)) + b"tR"
        ),
        "subprocess.Popen.wait": lambda s: (
            global0("subprocess", "Popen.wait")
            + b"("
            + global0("subprocess", "Popen")
            + b"(("
            + text("touch")
            + text(str(s))
            + b"ltRtR"
        ),
        "pathlib.Path.touch": lambda s: (
            stack_global("pathlib", "Path.touch")
            + b"("
            + stack_global("pathlib", "Path")
            + b"("
            + short(str(s))
            + b"tRtR"
        ),
    }


def _zip(members: dict[str, bytes], *, deflate: bool = False) -> bytes:
    buffer = io.BytesIO()
    kind = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", kind) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, _DATE), data, compress_type=kind)
    return buffer.getvalue()


def _torch_zip(data_pkl: bytes, prefix: str = "archive", *, deflate: bool = False) -> bytes:
    return _zip(
        {
            f"{prefix}/data.pkl": data_pkl,
            f"{prefix}/byteorder": b"little",
            f"{prefix}/version": b"3\n",
            f"{prefix}/.data/serialization_id": b"0123456789",
        },
        deflate=deflate,
    )


def _legacy(parts: list[bytes]) -> bytes:
    return b"".join(parts)


def _legacy_parts() -> list[bytes]:
    import pickle

    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2}}
    return [
        pickle.dumps(LEGACY_MAGIC, protocol=2),
        pickle.dumps(1001, protocol=2),
        pickle.dumps(sys_info, protocol=2),
        pickle.dumps({}, protocol=2),
        pickle.dumps([], protocol=2),
    ]


def _npy(payload: bytes, descr: str = "'|O'", version: int = 1) -> bytes:
    header = f"{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}"
    raw = header.encode("latin-1")
    size = 2 if version == 1 else 4
    pad = (64 - (10 + size - 2 + len(raw) + 1) % 64) % 64
    raw += b" " * pad + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(raw))
    return b"\x93NUMPY" + bytes([version, 0]) + length + raw + payload


def _evil(s: Path, module: str = "os") -> bytes:
    """The plainest payload: protocol 2, ``<module>.system('touch <sentinel>')``."""
    return proto(2, call2(module, "system", _cmd(s)))


def _object_array(s: Path) -> bytes:
    """What numpy.load(allow_pickle=True) unpickles for an object array: any pickle."""
    return proto(3, call2("os", "system", _cmd(s)))


class _Payload:
    """For real joblib.dump: pickles as a call of posix.system (never instantiated by a load)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple:
        import os

        return (os.system, (self.command,))


def build_corpus(root: Path) -> list[Sample]:
    """Write the malicious corpus under ``root``; returns the samples (>= 102)."""
    c = _Corpus(root)
    payloads = _payloads(lambda s: str(root / "payload-source.txt"))
    (root / "payload-source.txt").write_text("copied by the shutil.copyfile payload\n")
    for index, (what, body) in enumerate(payloads.items()):
        dotted = "dotted" in what or "pathlib" in what or "Popen" in what
        number = 4 if dotted else 3 if "nested" in what else 2
        c.add(
            f"callables/p{index:02d}.pkl",
            "pickle",
            f"{what} (protocol {number})",
            lambda s, b=body, n=number: proto(n, b(s)),
        )
    for index, what in enumerate(list(payloads)[:12]):
        body = payloads[what]
        c.add(
            f"callables0/p{index:02d}.pkl",
            "pickle",
            f"{what}, no PROTO opcode",
            lambda s, b=body: b(s) + b".",
        )
    _encodings(c)
    _names(c)
    _torch(c)
    _numpy(c)
    _compressed(c)
    _joblib(c)
    _nested(c)
    return c.samples


def _encodings(c: _Corpus) -> None:
    enc: dict[str, Callable[[Path], bytes]] = {
        "protocol 0 GLOBAL/REDUCE": lambda s: call0("os", "system", _cmd(s)) + b".",
        "protocol 0 INST": lambda s: inst0("os", "system", _cmd(s)) + b".",
        "protocol 0 INST posix": lambda s: inst0("posix", "system", _cmd(s)) + b".",
        "protocol 1 OBJ": lambda s: obj1("os", "system", _cmd(s)) + b".",
        "protocol 1 OBJ with PROTO 1": lambda s: b"\x80\x01" + obj1("os", "system", _cmd(s)) + b".",
        "protocol 2": lambda s: proto(2, call2("os", "system", _cmd(s))),
        "protocol 3": lambda s: proto(3, call2("os", "system", _cmd(s))),
        "protocol 4 STACK_GLOBAL": lambda s: proto(4, call4("os", "system", _cmd(s))),
        "protocol 5 STACK_GLOBAL": lambda s: proto(5, call4("posix", "system", _cmd(s))),
        "STACK_GLOBAL names from the memo": lambda s: proto(
            4, memo_stack_global("posix", "system", _cmd(s))
        ),
        "STACK_GLOBAL names computed (rot13)": lambda s: proto(
            2, rot13_stack_global("posix", "system", _cmd(s))
        ),
        "STACK_GLOBAL computed names, protocol 4": lambda s: proto(
            4, rot13_stack_global("subprocess", "getoutput", _cmd(s))
        ),
        "binary opcodes without PROTO": lambda s: call2("os", "system", _cmd(s)) + b".",
        "NEWOBJ then payload": lambda s: proto(
            2, global0("builtins", "object") + b")\x81" + b"0" + call2("os", "system", _cmd(s))
        ),
        "after an OrderedDict (state-dict prefix)": lambda s: proto(
            2, global0("collections", "OrderedDict") + b")R0" + call2("posix", "system", _cmd(s))
        ),
        "payload inside a dict value": lambda s: proto(
            2, b"}" + text("weight") + call2("os", "system", _cmd(s)) + b"s"
        ),
        "payload inside a list (APPENDS)": lambda s: proto(
            2, b"](" + call2("os", "system", _cmd(s)) + b"e"
        ),
        "protocol 0 memo PUT/GET": lambda s: (
            global0("os", "system") + b"p0\n0g0\n(" + string0(_cmd(s)) + b"tR."
        ),
        "after a 2 MiB string (elided)": lambda s: proto(
            2, text("A" * (2 << 20)) + b"0" + call2("os", "system", _cmd(s))
        ),
    }
    for index, (what, make) in enumerate(enc.items()):
        c.add(f"encodings/e{index:02d}.pkl", "pickle", what, make)
    benign = proto(2, benign_state())
    c.add(
        "concat/second.pkl",
        "pickle-all",
        "payload in a 2nd concatenated pickle",
        lambda s: benign + proto(2, call2("os", "system", _cmd(s))),
    )
    c.add(
        "concat/third.pkl",
        "pickle-all",
        "payload in a 3rd concatenated pickle",
        lambda s: benign + benign + proto(4, call4("posix", "system", _cmd(s))),
    )
    c.add(
        "concat/second-proto0.pkl",
        "pickle-all",
        "2nd pickle, protocol 0",
        lambda s: benign + call0("os", "system", _cmd(s)) + b".",
    )


def _names(c: _Corpus) -> None:
    names = {
        "training_args.bin": "torch",
        "tokenizer.model": "pickle",
        "spiece.model": "pickle",
        "pytorch_model.bin": "torch",
        "config.yaml": "pickle",
        "notes.txt": "pickle",
        "model.safetensors": "pickle",
        "model.onnx": "pickle",
        "model.gguf": "pickle",
        "README.md": "pickle",
        "modules.json": "pickle",
        "data": "pickle",
        "weights.npy": "numpy",
        "optimizer.pt": "torch",
        "rng_state.pth": "torch",
    }
    for index, (name, loader) in enumerate(names.items()):
        # Protocol 0 (no 0x80 magic) for most; the .model files as protocol 2.
        if name.endswith(".model"):
            make = lambda s: proto(2, call2("posix", "system", _cmd(s)))  # noqa: E731
        else:
            make = lambda s: call0("os", "system", _cmd(s)) + b"."  # noqa: E731
        c.add(f"names/{index:02d}/{name}", loader, f"pickle named {name}", make)


def _torch(c: _Corpus) -> None:
    def evil2(s: Path) -> bytes:
        return _evil(s, "posix")

    c.add(
        "torch/zip-data-pkl.pt",
        "torch",
        "torch zip, data.pkl payload",
        lambda s: _torch_zip(evil2(s)),
    )
    c.add(
        "torch/zip-proto0.pt",
        "torch",
        "torch zip, protocol-0 data.pkl",
        lambda s: _torch_zip(call0("os", "system", _cmd(s)) + b"."),
    )
    c.add(
        "torch/zip-deflated.pt",
        "torch",
        "torch zip, deflated members",
        lambda s: _torch_zip(evil2(s), deflate=True),
    )
    c.add(
        "torch/zip-prefix.bin",
        "torch",
        "torch zip, odd archive prefix, .bin",
        lambda s: _torch_zip(evil2(s), prefix="my model"),
    )
    c.add(
        "torch/zip-in-dict.pt",
        "torch",
        "torch zip, payload as a dict value",
        lambda s: _torch_zip(proto(2, b"}" + text("w") + call2("os", "system", _cmd(s)) + b"s")),
    )
    c.add(
        "torch/zip-rot13.pt",
        "torch",
        "torch zip, computed STACK_GLOBAL",
        lambda s: _torch_zip(proto(2, rot13_stack_global("posix", "system", _cmd(s)))),
    )
    c.add("torch/zip-named.yaml", "torch", "torch zip named .yaml", lambda s: _torch_zip(evil2(s)))
    for slot in range(5):

        def legacy(s: Path, slot: int = slot) -> bytes:
            parts = _legacy_parts()
            parts[slot] = evil2(s)
            return _legacy(parts)

        c.add(
            f"legacy/payload-in-pickle-{slot + 1}.pt",
            "torch",
            f"legacy torch, payload in pickle {slot + 1}",
            legacy,
        )
    magics = {
        "protocol-0 LONG": f"L{LEGACY_MAGIC}L\n.".encode(),
        "protocol-0 INT": f"I{LEGACY_MAGIC}\n.".encode(),
        "LONG4": b"\x80\x02\x8b"
        + struct.pack("<i", 10)
        + LEGACY_MAGIC.to_bytes(10, "little")
        + b".",
        "protocol-4 framed LONG1": proto(4, b"\x8a\x0a" + LEGACY_MAGIC.to_bytes(10, "little")),
    }
    for index, (what, magic) in enumerate(magics.items()):

        def legacy_magic(s: Path, magic: bytes = magic) -> bytes:
            parts = _legacy_parts()
            parts[0] = magic
            parts[3] = proto(2, call2("os", "system", _cmd(s)))
            return _legacy(parts)

        c.add(
            f"legacy/magic-{index}.bin",
            "torch",
            f"legacy torch, magic as {what}, payload in pickle 4",
            legacy_magic,
        )


def _numpy(c: _Corpus) -> None:
    c.add(
        "numpy/object-v1.npy", "numpy", "object .npy (v1 header)", lambda s: _npy(_object_array(s))
    )
    c.add(
        "numpy/object-v2.npy",
        "numpy",
        "object .npy (v2 header)",
        lambda s: _npy(_object_array(s), version=2),
    )
    c.add(
        "numpy/object-v3.npy",
        "numpy",
        "object .npy (v3 header)",
        lambda s: _npy(_object_array(s), version=3),
    )
    c.add(
        "numpy/structured-object.npy",
        "numpy",
        "structured dtype with an object field",
        lambda s: _npy(_object_array(s), descr="[('a', '<f4'), ('b', '|O')]"),
    )
    c.add("numpy/object.bin", "numpy", "object .npy named .bin", lambda s: _npy(_object_array(s)))
    c.add(
        "numpy/object.npz",
        "numpy",
        "npz with an object member",
        lambda s: _zip({"arr_0.npy": _npy(_object_array(s))}),
    )
    c.add(
        "numpy/mixed.npz",
        "numpy",
        "deflated npz, numeric + object member",
        lambda s: _zip(
            {"a.npy": _npy(b"\x00" * 4, descr="'<f4'"), "b.npy": _npy(_object_array(s))},
            deflate=True,
        ),
    )


def _compressors() -> dict[str, tuple[str, Callable[[bytes], bytes]]]:
    found: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
        "gzip": (".pkl.gz", lambda d: gzip.compress(d, mtime=0)),
        "bz2": (".pkl.bz2", bz2.compress),
        "xz": (".pkl.xz", lambda d: lzma.compress(d, format=lzma.FORMAT_XZ)),
        "lzma": (".pkl.lzma", lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE)),
        "zlib": (".joblib", zlib.compress),
    }
    try:
        import zstandard

        found["zstd"] = (".pkl.zst", lambda d: zstandard.ZstdCompressor().compress(d))
    except ImportError:
        pass
    try:
        import lz4.frame

        found["lz4"] = (".pkl.lz4", lz4.frame.compress)
    except ImportError:
        pass
    return found


def _compressed(c: _Corpus) -> None:
    evil = _evil
    for kind, (suffix, pack) in _compressors().items():
        c.add(
            f"compressed/payload{suffix}",
            "any",
            f"{kind}-compressed pickle",
            lambda s, pack=pack: pack(evil(s)),
        )
    c.add(
        "compressed/config.yaml",
        "any",
        "gzip-compressed pickle named .yaml",
        lambda s: gzip.compress(evil(s), mtime=0),
    )
    c.add(
        "compressed/double.pkl.gz",
        "any",
        "gzip of xz of a pickle",
        lambda s: gzip.compress(lzma.compress(evil(s)), mtime=0),
    )
    c.add(
        "compressed/object.npy.gz",
        "any",
        "gzip of an object .npy",
        lambda s: gzip.compress(_npy(_object_array(s)), mtime=0),
    )
    c.add(
        "compressed/proto0.joblib",
        "any",
        "zlib of a protocol-0 pickle",
        lambda s: zlib.compress(call0("os", "system", _cmd(s)) + b"."),
    )

    def legacy(s: Path) -> bytes:
        parts = _legacy_parts()
        parts[3] = evil(s)
        return gzip.compress(_legacy(parts), mtime=0)

    c.add("compressed/legacy.pt.gz", "any", "gzip of a legacy torch file", legacy)


def _joblib(c: _Corpus) -> None:
    try:
        import joblib
    except ImportError:
        return
    import numpy as np

    kinds: list[object] = [0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("lzma", 3), ("xz", 3)]
    try:
        import lz4  # noqa: F401

        kinds.append(("lz4", 3))
    except ImportError:
        pass
    for index, compress in enumerate(kinds):

        def dump(s: Path, compress: object = compress) -> bytes:
            buffer = io.BytesIO()
            joblib.dump({"model": _Payload(_cmd(s))}, buffer, compress=compress)
            return buffer.getvalue()

        c.add(f"joblib/real-{index}.joblib", "joblib", f"joblib.dump, compress={compress}", dump)

    def with_array(s: Path) -> bytes:
        buffer = io.BytesIO()
        joblib.dump({"weights": np.arange(16.0), "model": _Payload(_cmd(s))}, buffer)
        return buffer.getvalue()

    c.add("joblib/with-array.joblib", "joblib", "joblib.dump with a numpy array", with_array)


def _nested(c: _Corpus) -> None:
    evil = _evil
    c.add(
        "nested/zip-in-zip.zip",
        "any",
        "torch zip inside a zip",
        lambda s: _zip({"inner/model.pt": _torch_zip(evil(s))}),
    )
    c.add(
        "nested/gz-in-zip.zip",
        "any",
        "gzip pickle inside a zip",
        lambda s: _zip({"payload.pkl.gz": gzip.compress(evil(s), mtime=0)}),
    )
    c.add(
        "nested/three-deep.zip",
        "any",
        "pickle three zips deep",
        lambda s: _zip({"a.zip": _zip({"b.zip": _zip({"c.pkl": evil(s)})})}),
    )
    c.add(
        "nested/yaml-member.zip",
        "any",
        "zip member config.yaml holding a pickle",
        lambda s: _zip({"config.yaml": call0("os", "system", _cmd(s)) + b"."}, deflate=True),
    )


def build_benign(root: Path) -> list[Sample]:
    """Real torch checkpoints, numeric numpy, safetensors and text files: none may be flagged."""
    import numpy as np
    import torch

    root.mkdir(parents=True, exist_ok=True)
    samples: list[Sample] = []

    def add(name: str, what: str) -> Path:
        path = root / name
        samples.append(Sample(path, "none", what, malicious=False))
        return path

    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 3)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(), torch.nn.Flatten()
    )
    optimizer = torch.optim.Adam(linear.parameters())
    linear(torch.ones(1, 4)).sum().backward()
    optimizer.step()
    checkpoint = {
        "epoch": 3,
        "state_dict": linear.state_dict(),
        "optimizer": optimizer.state_dict(),
        "lr": 0.001,
    }
    torch.save(linear.state_dict(), add("linear.pt", "torch.save state_dict (zip)"))
    torch.save(net.state_dict(), add("conv-bn.pth", "torch.save Conv+BatchNorm state_dict"))
    torch.save(checkpoint, add("checkpoint.ckpt", "torch.save training checkpoint + Adam"))
    torch.save(torch.arange(10), add("tensor.bin", "torch.save of a tensor"))
    torch.save(
        linear.state_dict(),
        add("linear-legacy.pt", "legacy torch.save state_dict"),
        _use_new_zipfile_serialization=False,
    )
    torch.save(
        checkpoint,
        add("checkpoint-legacy.bin", "legacy torch.save training checkpoint"),
        _use_new_zipfile_serialization=False,
    )
    half = {k: v.half() for k, v in net.state_dict().items() if v.is_floating_point()}
    torch.save(half, add("half.pt", "float16 state_dict"))
    np.save(add("weights.npy", "numeric .npy"), np.arange(12, dtype=np.float32).reshape(3, 4))
    np.save(add("fortran.npy", "Fortran-order .npy"), np.asfortranarray(np.ones((2, 3))))
    np.save(
        add("structured.npy", "structured numeric dtype"),
        np.zeros(2, dtype=[("a", "<f4"), ("b", "<i8")]),
    )
    np.save(
        add("objects.npy", "object array of plain values (numpy globals only)"),
        np.array([1, "a", 2.5], dtype=object),
        allow_pickle=True,
    )
    np.savez(add("arrays.npz", "numeric .npz"), a=np.ones(3), b=np.arange(4))
    np.savez_compressed(add("compressed.npz", "compressed numeric .npz"), a=np.ones(3))
    header = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    add("model.safetensors", "safetensors").write_bytes(
        struct.pack("<Q", len(header)) + header + b"\x00" * 8
    )
    texts = {
        "README.md": b"---\nlicense: mit\n---\n# model\n",
        "config.json": b'{"hidden_size": 4, "model_type": "tiny"}\n',
        "vocab.txt": b"[PAD]\n[UNK]\nhello\n",
        "merges.txt": b"#version: 0.2\nh e\n",
        "modeling_tiny.py": b"import torch\nimport os\n\nclass Tiny(torch.nn.Module):\n    pass\n",
        "code.py": b"class Model:\n    pass\n",
        "train.yaml": b"lr: 0.1\nepochs: 3\n",
        "data.json.gz": gzip.compress(b'{"text": "hello"}\n', mtime=0),
        "tokenizer.model": b"\n\x05hello\x15\x00\x00\x80?\x18\x01",
    }
    for name, data in texts.items():
        add(name, "text / non-pickle file").write_bytes(data)
    try:
        import transformers
    except ImportError:
        return samples
    arguments = transformers.TrainingArguments(output_dir=str(root / "run"), report_to=[])
    torch.save(arguments, add("training_args.bin", "a Trainer's training_args.bin"))
    return samples
