"""The serving API hands back verified paths, or raises."""

from __future__ import annotations

import pytest

from mbom.errors import VerificationError
from mbom.verify.serving import verified_copy, verified_model


def test_verified_model_and_copy(signed, work, tmp_path) -> None:
    model, _ = work
    kwargs = {"bundles": [signed.bundle], "keys": [signed.pub]}
    verified = verified_model(model, **kwargs)
    assert "config.json" in verified.files and verified.file("config.json").endswith("config.json")
    assert verified_copy(model, tmp_path / "copy", **kwargs).root.endswith("copy")
    (model / "config.json").write_text("{}")
    with pytest.raises(VerificationError) as caught:
        verified_model(model, **kwargs)
    assert caught.value.check == "file-digest" and caught.value.path == "config.json"
