"""Real seeds for the fuzzers: documents mbom itself makes in the test session, plus the
third-party files in ../shared/fixtures (published ML-BOMs, real Sigstore bundles, OMS)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
#: ../shared/fixtures beside the checkout (one level further up for a worktree in a folder).
FIXTURES = next(
    (
        p
        for p in (REPO.parent / "shared" / "fixtures", REPO.parents[1] / "shared" / "fixtures")
        if p.is_dir()
    ),
    REPO.parent / "shared" / "fixtures",
)

CARD = b"""---
license: apache-2.0
base_model: acme/tiny-base
datasets: [acme/reviews]
pipeline_tag: text-classification
model-index:
  - name: tiny
    results:
      - task: {type: text-classification}
        dataset: {name: reviews, type: acme/reviews}
        metrics: [{type: accuracy, value: 0.91}]
---
# tiny

A tiny test model.
"""
CONFIG_JSON = b'{"hidden_size": 8, "model_type": "bert", "architectures": ["BertModel"]}\n'
MODEL = {
    "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
    "config.json": CONFIG_JSON,
    "tokenizer/vocab.txt": b"[PAD]\n[UNK]\nhello\n",
    "README.md": CARD,
}
DATASET = {
    "train.jsonl": b'{"text": "good"}\n',
    "sub/eval.jsonl": b'{"text": "bad"}\n',
    "sub/more.jsonl": b'{"text": "meh"}\n',
}
POLICY = b"""version: 1
mode: enforce
trust:
  publicKeys: [release.pub]
  identities:
    - identity: release@example.com
      issuer: https://accounts.google.com
    - identityRegex: "https://github\\\\.com/acme/.*"
      issuer: https://token.actions.githubusercontent.com
requiredAttestations: [mbom, oms]
rules:
  licenses: {allow: [Apache-2.0, MIT]}
  baseModels: {allow: ["acme/*"]}
  datasets: {allowDigests: ["57184ee0"], allowUnhashed: false}
  forbidPickle: true
  forbidFlaggedCheckpoints: true
  modelCard: {required: [modelParameters.task]}
  maxBomAge: 90d
  minSigners: 1
  requireVerifiedParents: true
"""
MBOM_YAML = b"""name: tiny
version: "1.2.0"
model: model
datasets:
  - train=data/train
  - {name: eval, path: data/train/sub}
configs: [train.yaml]
output: out.cdx.json
specVersion: "1.6"
algorithms: [sha256]
manifestThreshold: 1000
environment:
  capture: false
  packages: false
"""
TRAIN_YAML = b"""optimizer:
  name: adamw
  lr: 0.0003
  betas: [0.9, 0.999]
epochs: 3
seed: 42
"""
TRAIN_TOML = b"""[optimizer]
name = "adamw"
lr = 3e-4
[data]
paths = ["a", "b"]
"""


class Seeds:
    """Paths of valid inputs (model, data, key, pub, bom, big_bom, manifest, bundle,
    oms_bundle, proof, policy, mbom_yaml under ``base``), and their parsed documents for
    structure-aware mutation. A plain class with a short repr: hypothesis prints test
    arguments, and failure reports should show the input, not every seed path."""

    def __init__(self, **paths: Path) -> None:
        self.__dict__.update(paths)

    def __getattr__(self, name: str) -> Path:  # for type checkers: every field is a Path
        raise AttributeError(name)

    def __repr__(self) -> str:
        return "seeds"

    def json(self, name: str) -> Any:
        return json.loads(getattr(self, name).read_bytes())


def make_seeds(base: Path) -> Seeds:
    from mbom.attest import load_signing_key, sign_bom, write_bundle
    from mbom.attest.keys import write_key_pair
    from mbom.attest.oms import sign_model
    from mbom.forensics.proofs import make_proof
    from tests.verify.conftest import _generate, write_tree

    key, pub = write_key_pair(base / "release", "ecdsa-p256")
    model = write_tree(base / "model", MODEL)
    data = write_tree(base / "data" / "train", DATASET)
    (base / "train.yaml").write_bytes(TRAIN_YAML)
    (base / "train.toml").write_bytes(TRAIN_TOML)
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:
        bom_doc = _generate(
            model,
            base / "bom.cdx.json",
            datasets=[f"train={data}"],
            configs=[str(base / "train.yaml"), str(base / "train.toml")],
        )
        _generate(model, base / "big.cdx.json", datasets=[f"train={data}"], threshold=1)
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    signing_key = load_signing_key(key)
    bundle = write_bundle(
        sign_bom(bom_doc, keys=[signing_key]), base / "bom.cdx.json.sigstore.json"
    )
    oms = write_bundle(sign_model(model, keys=[signing_key]), base / "model.oms.sig")
    proof = make_proof(data / "sub" / "eval.jsonl", base / "bom.cdx.json", dataset="train")
    (base / "proof.json").write_text(json.dumps(proof.to_json(), indent=2))
    (base / "policy.yaml").write_bytes(POLICY)
    (base / "mbom.yaml").write_bytes(MBOM_YAML)
    manifests = sorted(base.glob("big*.jsonl"))
    assert manifests, sorted(p.name for p in base.iterdir())
    return Seeds(
        base=base,
        model=model,
        data=base / "data",
        key=key,
        pub=pub,
        bom=base / "bom.cdx.json",
        big_bom=base / "big.cdx.json",
        manifest=manifests[0],
        bundle=bundle,
        oms_bundle=oms,
        proof=base / "proof.json",
        policy=base / "policy.yaml",
        mbom_yaml=base / "mbom.yaml",
    )


def fixture_files(pattern: str) -> list[Path]:
    """Third-party seeds under ../shared/fixtures (empty when the folder is absent)."""
    return sorted(FIXTURES.glob(pattern)) if FIXTURES.is_dir() else []


class Corpus:
    """Seed documents and raw seed bytes for one format, with a short repr."""

    def __init__(self, name: str, doc: Any, raw: list[bytes]) -> None:
        self.name, self.doc, self.raw = name, doc, raw

    def __repr__(self) -> str:
        return f"<{self.name} corpus: {len(self.raw)} seeds>"
