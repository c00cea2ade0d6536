"""The serving API hands back verified paths, or raises."""

from __future__ import annotations

import pytest

from mbom.errors import InputError, VerificationError
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


def test_files_under_recorded_ignore_paths_are_never_handed_out(signed, tmp_path) -> None:
    from tests.verify.conftest import _generate, _sign, write_tree

    model = write_tree(
        tmp_path / "model",
        {"weights.bin": b"w", ".mbomignore": b"logs/\n", "logs/run.txt": b"step 1\n"},
    )
    bom = _generate(model, tmp_path / "bom.cdx.json")
    bundle = _sign(bom, signed.key, tmp_path / "bom.cdx.json.sigstore.json")
    served = verified_model(model, bundles=[bundle], keys=[signed.pub])
    assert "weights.bin" in served.files and "logs/run.txt" not in served.files
    assert served.report.attestations[0]["coversModel"] is True
    with pytest.raises(InputError, match="not a verified file"):
        served.file("logs/run.txt")


def test_a_subset_attestation_alone_serves_nothing(signed, work, tmp_path) -> None:
    from tests.verify.test_binding import sign, statement_for

    model, _ = work
    slsa = sign(statement_for(model, ["config.json"]), signed.key, tmp_path / "slsa.json")
    with pytest.raises(VerificationError) as caught:
        verified_model(model, bundles=[slsa], keys=[signed.pub])
    assert caught.value.check == "model-coverage"
    both = verified_model(model, bundles=[signed.bundle, slsa], keys=[signed.pub])
    assert "README.md" in both.files
    (model / "evil.py").write_text("x")
    with pytest.raises(VerificationError) as caught:
        verified_model(model, bundles=[signed.bundle, slsa], keys=[signed.pub])
    assert caught.value.path == "evil.py"
