"""A three-generation lineage (base -> fine-tuned -> quantized), signed with an ECDSA key."""

from __future__ import annotations

import base64
import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

CARD = "---\nbase_model: acme/pretrained-base\n---\n# base\n"


@dataclass(frozen=True)
class Lineage:
    folder: Path
    pub: Path
    pem: Path
    base: Path  # bundles
    fine_tuned: Path
    quantized: Path
    model: Path  # the quantized model's folder
    data: Path


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def _release(model: Path, out: Path, pem: Path, *, name: str, version: str, **extra) -> Path:
    from mbom.attest import load_signing_key, sign_bom, write_bundle
    from mbom.generate import GenerateRequest, generate, manifest_stem_for, write_bom

    request = GenerateRequest(
        model=str(model),
        name=name,
        version=version,
        environment=False,
        git_dir=None,
        packages=False,
        **extra,
    )
    built = generate(request, manifest_stem=manifest_stem_for(out), cache=False)
    write_bom(built, out)
    bundle = out.with_name(out.name + ".sigstore.json")
    return write_bundle(sign_bom(built.document, keys=[load_signing_key(pem)]), bundle)


def three_generations(
    folder: Path, quant_extra: dict[str, bytes] | None = None, quant_name: str = "quantized"
) -> Lineage:
    """Write and sign the three BOMs in ``folder``; parents are recorded by relative path.

    ``quant_extra``: more files for the quantized model (a card, a config, a checkpoint)."""
    from mbom.attest.keys import write_key_pair

    pem, pub = write_key_pair(folder / "release", "ecdsa-p256")
    _tree(folder / "base", {"weights.bin": b"base weights", "README.md": CARD.encode()})
    _tree(folder / "tuned", {"weights.bin": b"tuned weights"})
    quant_model = _tree(
        folder / "quant", {"weights.q4": b"quantized weights", **(quant_extra or {})}
    )
    data = _tree(folder / "data", {"a.jsonl": b'{"t": 1}\n', "b.jsonl": b'{"t": 2}\n'})
    old, cwd = os.environ.get("SOURCE_DATE_EPOCH"), os.getcwd()
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    os.chdir(folder)  # parents recorded relative, as a release folder would hold them
    try:
        base = _release(Path("base"), Path("base.cdx.json"), pem, name="base", version="1.0")
        tuned = _release(
            Path("tuned"),
            Path("tuned.cdx.json"),
            pem,
            name="fine-tuned",
            version="2.0",
            datasets=("instructions=data",),
            parents=(str(base),),
        )
        quant = _release(
            Path("quant"),
            Path("quant.cdx.json"),
            pem,
            name=quant_name,
            version="2.0-q4",
            parents=(str(tuned),),
        )
    finally:
        os.chdir(cwd)
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    return Lineage(
        folder, pub, pem, folder / base, folder / tuned, folder / quant, quant_model, data
    )


def tamper_payload(bundle: Path) -> None:
    """Change the signed BOM inside a bundle without re-signing it."""
    document = json.loads(bundle.read_text())
    envelope = document["dsseEnvelope"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["metadata"]["component"]["name"] = "fine-tuned-EDITED"
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    bundle.write_text(json.dumps(document))


def safetensors_bytes(shapes: dict[str, list[int]]) -> bytes:
    """A small real safetensors file of float32 zeros."""
    header, offset = {}, 0
    for name, shape in shapes.items():
        size = 4 * math.prod(shape)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + bytes(offset)
