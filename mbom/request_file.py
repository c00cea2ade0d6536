"""Read ``mbom.yaml``: the declarative form of ``mbom generate``'s flags.

The file is validated against schemas/mbom-yaml.schema.json before use, so a typo in a key is
an error with its location, not a silently ignored setting. Relative paths in the file are
resolved against the file's directory, so a pipeline can run from anywhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mbom.errors import InputError, MalformedFileError


def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema the project owns (schemas/, installed as mbom.schemas)."""
    from importlib import resources  # here: it imports tempfile, shutil, ... (~10 ms a start)

    return json.loads(resources.files("mbom.schemas").joinpath(name).read_text("utf-8"))


def check_schema(data: Any, validator: Any, name: str) -> None:
    """Raise :class:`MalformedFileError` naming the first place ``data`` breaks the schema."""
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(part) for part in error.path) or "(top level)"
        raise MalformedFileError(f"{name}: {where}: {error.message}", path=name)


def load_request_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse and validate an mbom.yaml; return GenerateRequest keyword arguments."""
    from mbom._jsonschema import jsonschema
    from mbom.load import load_yaml, read_text

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise InputError(f"{name}: no such file", path=name)
    data = load_yaml(read_text(name), name)
    if data is None:
        data = {}
    schema = load_schema("mbom-yaml.schema.json")
    check_schema(data, jsonschema().Draft202012Validator(schema), name)
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
