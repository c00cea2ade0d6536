"""A trust file whose keys hold control characters still gives a one-line error (found by
tests/fuzz: a key "\\n" made pydantic's field path, and so the message, two lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mbom.attest._internal.sigstore_glue import load_trust_config, load_trusted_root
from mbom.errors import InputError


@pytest.mark.parametrize("loader", [load_trust_config, load_trusted_root])
def test_control_characters_in_a_key_stay_on_one_line(tmp_path, loader) -> None:
    root = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "sigstore"
    document = json.loads((root / "sigstore-python" / "staging_trusted_root.json").read_text())
    if loader is load_trust_config:
        document = {"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                    "trustedRoot": document, "signingConfig": {}}  # fmt: skip
    document["\n"] = 1  # an extra key: pydantic names it as the error's field path
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InputError) as caught:
        loader(str(path))
    assert "\n" not in caught.value.message and "\r" not in caught.value.message
