"""One verdict for every schema mbom checks: jsonschema-rs decides, jsonschema explains.

The BOM schema, the policy and mbom.yaml are all judged the same way (mbom/_jsonschema.py):
a document jsonschema-rs accepts is never handed to python jsonschema, whose import alone
cost verify and generate 60-80 ms; a refused one gets jsonschema's message and place.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mbom.errors import MalformedFileError
from mbom.verify.policy import load_policy

VALID_POLICY = "version: 1\nmode: enforce\nrules:\n  forbidPickle: true\n  maxBomAge: 90d\n"


def policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_policy_is_read(tmp_path: Path) -> None:
    assert load_policy(policy(tmp_path, VALID_POLICY)).rules["maxBomAge"] == "90d"


def test_a_schema_error_names_its_place_in_jsonschema_words(tmp_path: Path) -> None:
    bad = VALID_POLICY.replace("forbidPickle: true", "forbidPickle: yes please")
    with pytest.raises(MalformedFileError) as caught:
        load_policy(policy(tmp_path, bad))
    assert "rules/forbidPickle: 'yes please' is not of type 'boolean'" in caught.value.message


def test_a_duration_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    """``maxBomAge: "90d\\n"``: python's ``$`` matches before a final newline, so both the
    schema (as jsonschema checks it) and the duration parser took it; the verdict does not."""
    bad = VALID_POLICY.replace("maxBomAge: 90d", 'maxBomAge: "90d\\n"')
    with pytest.raises(MalformedFileError) as caught:
        load_policy(policy(tmp_path, bad))
    assert "rules/maxBomAge" in caught.value.message
    assert "does not match" in caught.value.message


def test_a_yaml_value_that_is_not_json_is_judged_by_jsonschema(tmp_path: Path) -> None:
    """YAML reads ``2024-01-01`` as a date, which jsonschema-rs cannot take: the verdict
    abstains and jsonschema refuses it, an input error as before, not a crash."""
    bad = VALID_POLICY.replace("version: 1", "version: 2024-01-01")
    with pytest.raises(MalformedFileError) as caught:
        load_policy(policy(tmp_path, bad))
    assert caught.value.message.startswith(f"{tmp_path / 'policy.yaml'}: version: ")


def test_an_mbom_yaml_error_is_named(tmp_path: Path) -> None:
    from mbom.request_file import load_request_file

    path = tmp_path / "mbom.yaml"
    path.write_text("model: out\nmodle_name: typo\n", encoding="utf-8")
    with pytest.raises(MalformedFileError) as caught:
        load_request_file(path)
    assert "modle_name" in caught.value.message


_IMPORTS = """
import json, sys
from mbom.bom.validate import validate_bom
from mbom.verify.policy import load_policy
load_policy(sys.argv[1])
result = validate_bom(sys.argv[2])
print(json.dumps([result.ok, "jsonschema" in sys.modules, "referencing" in sys.modules]))
"""


def test_valid_documents_never_load_python_jsonschema(tmp_path: Path) -> None:
    """The speed of verify and generate rests on this: a valid policy and a valid BOM are
    judged without importing jsonschema or referencing (a fresh interpreter)."""
    bom = tmp_path / "bom.cdx.json"
    bom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
                "version": 1,
                "components": [{"type": "library", "name": "a", "bom-ref": "a"}],
            }
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(_IMPORTS),
            str(policy(tmp_path, VALID_POLICY)),
            str(bom),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,  # a safety net against a hang, not a timing assertion
    )
    assert json.loads(done.stdout) == [True, False, False]
