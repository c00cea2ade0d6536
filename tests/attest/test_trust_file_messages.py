"""A trust file whose keys hold control characters still gives a one-line error (found by
tests/fuzz: a key "\\n" made pydantic's field path, and so the message, two lines)."""

from __future__ import annotations

import json

import pytest

from mbom.attest._internal.sigstore_glue import load_trust_config, load_trusted_root
from mbom.errors import InputError


@pytest.mark.parametrize("loader", [load_trust_config, load_trusted_root])
def test_control_characters_in_a_key_stay_on_one_line(tmp_path, loader) -> None:
    path = tmp_path / "trust.json"
    path.write_text(json.dumps({"\n": 1, "x\ry": 2}))
    with pytest.raises(InputError) as caught:
        loader(str(path))
    assert "\n" not in caught.value.message and "\r" not in caught.value.message
