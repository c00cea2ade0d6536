"""Read ``mbom.yaml``: the declarative form of ``mbom generate``'s flags.

The file is validated against schemas/mbom-yaml.schema.json before use, so a typo in a key is
an error with its location, not a silently ignored setting. Relative paths in the file are
resolved against the file's directory, so a pipeline can run from anywhere.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from mbom.errors import InputError, MalformedFileError


def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema the project owns (schemas/, installed as mbom.schemas)."""
    from importlib import resources  # here: it imports tempfile, shutil, ... (~10 ms a start)

    return json.loads(resources.files("mbom.schemas").joinpath(name).read_text("utf-8"))


@cache
def _verdict_for(schema_name: str, draft: int) -> Any:
    from mbom._jsonschema import verdict_validator

    return verdict_validator(load_schema(schema_name), draft=draft, formats=False)


def check_schema(data: Any, schema_name: str, draft: int, name: str) -> None:
    """Raise :class:`MalformedFileError` naming the first place ``data`` breaks the schema
    ``schema_name`` (JSON Schema ``draft`` 7 or 2020): jsonschema-rs decides, jsonschema
    names the place (:mod:`mbom._jsonschema`)."""
    from mbom._jsonschema import jsonschema, verdict, verdict_errors

    validator = _verdict_for(schema_name, draft)
    judged = verdict(validator, data, bounded=True)  # read by mbom.load
    if judged:
        return
    kind = jsonschema().Draft7Validator if draft == 7 else jsonschema().Draft202012Validator
    errors = kind(load_schema(schema_name)).iter_errors(data)
    error = next(iter(sorted(errors, key=lambda e: list(e.path))), None)
    if error is not None:
        where, message = "/".join(str(part) for part in error.path), error.message
    elif judged is None:  # the verdict could not read it: jsonschema decided
        return
    else:
        places = [
            ("/".join(str(part) for part in path), message)
            for _k, message, path in verdict_errors(validator, data)
        ]
        where, message = min(places)
    raise MalformedFileError(f"{name}: {where or '(top level)'}: {message}", path=name)


def load_request_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse and validate an mbom.yaml; return GenerateRequest keyword arguments."""
    from mbom.load import load_yaml, read_text

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise InputError(f"{name}: no such file", path=name)
    data = load_yaml(read_text(name), name)
    if data is None:
        data = {}
    check_schema(data, "mbom-yaml.schema.json", 2020, name)
    base = Path(name).parent

    def local(value: str) -> str:
        if "://" in value or os.path.isabs(value):
            return value
        return os.path.normpath(base / value)

    def dataset(item: Any) -> str:
        if isinstance(item, dict):
            return (
                f"{item['name']}={local(item['path'])}" if "name" in item else local(item["path"])
            )
        spec_name, sep, location = item.partition("=")
        if sep and "://" not in spec_name:
            return f"{spec_name}={local(location)}"
        return local(item)

    environment = data.get("environment", {})
    result: dict[str, Any] = {
        "model": local(data["model"]) if "model" in data else None,
        "hf": data.get("hf"),
        "name": data.get("name"),
        "version": data.get("version"),
        "datasets": tuple(dataset(item) for item in data.get("datasets", ())),
        "configs": tuple(local(item) for item in data.get("configs", ())),
        "parents": tuple(local(item) for item in data.get("parents", ())),
        "spec_version": data.get("specVersion"),
        "algorithms": tuple(data["algorithms"]) if "algorithms" in data else None,
        "manifest_threshold": data.get("manifestThreshold"),
        "environment": environment.get("capture"),
        "packages": environment.get("packages"),
        "container_image": environment.get("containerImage"),
        "git_dir": local(environment["gitDir"]) if "gitDir" in environment else None,
        "output": local(data["output"]) if "output" in data else None,
    }
    return {key: value for key, value in result.items() if value is not None}
