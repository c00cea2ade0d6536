"""Which files a BOM says the model consists of: the bridge from a BOM to attestation subjects.

The layout mbom writes (docs/bom-format.md): the model is ``metadata.component`` (type
``machine-learning-model``), and each of its files is a nested component of type ``file``
whose ``name`` is the POSIX path relative to the model root, with ``hashes`` (SHA-256 always;
BLAKE3 / SHA-512 when asked) and the property ``mbom:size``. A symbolic link inside the model
carries ``mbom:symlink`` (its target); an executable or setuid/setgid file carries
``mbom:mode`` (``0755``, ``4755``...; absent for a plain file). For BOMs written by other
tools, the first top-level ``machine-learning-model`` component is taken when
``metadata.component`` is not one.

Two layouts are read (docs/bom-format.md "Layouts"): BOMs before issue 14 nest the file
components under the model; current ones list them at the top level (bom-ref
``model-file:<path>``) so that consumers reading only ``components`` see them.
:func:`model_component` returns the model with its files under ``components`` either way,
so every reader sees one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mbom.errors import MalformedFileError
from mbom.paths import check_relative_name

MODEL_TYPE = "machine-learning-model"
SIZE_PROPERTY = "mbom:size"
SYMLINK_PROPERTY = "mbom:symlink"
MODE_PROPERTY = "mbom:mode"
#: bom-ref prefix of the model's file components (top-level in the current layout).
MODEL_FILE_REF_PREFIX = "model-file:"

#: CycloneDX hash algorithm names -> mbom.hashing names.
ALGORITHM_FROM_CYCLONEDX = {"SHA-256": "sha256", "SHA-512": "sha512", "BLAKE3": "blake3"}


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file of the model as the BOM records it."""

    path: str
    size: int | None
    digests: Mapping[str, str]
    symlink: str | None = None
    mode: str | None = None
    """Recorded ``mbom:mode`` (octal text); None for a plain, non-executable file."""


def model_component(bom: Mapping[str, Any]) -> Mapping[str, Any]:
    """The component describing the model, with its file components nested under
    ``components`` in either layout; :class:`MalformedFileError` if there is none, or when a
    file is listed both nested and at the top level (the two layouts mixed)."""
    main = _declared_model(bom)
    flat = top_level_model_files(bom)
    if not flat:
        return main
    nested = [c for c in main.get("components") or () if isinstance(c, Mapping)]
    names = {str(c.get("name", "")) for c in nested if c.get("type") == "file"}
    for component in flat:
        name = str(component.get("name", ""))
        if name in names:  # a set: with a list, 20,000 files took seconds per call
            raise MalformedFileError(f"model file {name!r} is listed twice in the BOM")
        names.add(name)
    return {**main, "components": [*nested, *flat]}


def top_level_model_files(bom: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The model's file components listed at the top level (the current layout)."""
    return [
        c
        for c in bom.get("components") or ()
        if isinstance(c, Mapping)
        and c.get("type") == "file"
        and str(c.get("bom-ref", "")).startswith(MODEL_FILE_REF_PREFIX)
    ]


def _declared_model(bom: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = bom.get("metadata") or {}
    main = metadata.get("component") if isinstance(metadata, Mapping) else None
    if isinstance(main, Mapping) and main.get("type") == MODEL_TYPE:
        return main
    for component in bom.get("components") or ():
        if isinstance(component, Mapping) and component.get("type") == MODEL_TYPE:
            return component
    raise MalformedFileError("BOM describes no machine-learning-model component")


def model_files(bom: Mapping[str, Any]) -> tuple[ModelFile, ...]:
    """The model's files (sorted by path) with their recorded sizes and digests."""
    files = component_files(model_component(bom), "model")
    if not files:
        raise MalformedFileError("the BOM's model component lists no files")
    return files


def component_files(parent: Mapping[str, Any], what: str = "component") -> tuple[ModelFile, ...]:
    """The nested ``file`` components of a model or dataset component, sorted by path."""
    files = []
    for component in parent.get("components") or ():
        if not isinstance(component, Mapping) or component.get("type") != "file":
            continue
        name = check_relative_name(str(component.get("name", "")))
        properties = {
            p.get("name"): p.get("value")
            for p in component.get("properties") or ()
            if isinstance(p, Mapping)
        }
        digests = {
            ALGORITHM_FROM_CYCLONEDX[h["alg"]]: str(h.get("content", "")).lower()
            for h in component.get("hashes") or ()
            if isinstance(h, Mapping) and h.get("alg") in ALGORITHM_FROM_CYCLONEDX
        }
        if "sha256" not in digests:
            raise MalformedFileError(f"{what} file {name!r} in the BOM has no SHA-256 hash")
        size = properties.get(SIZE_PROPERTY)
        files.append(
            ModelFile(
                path=name,
                size=int(size) if size is not None and str(size).isdigit() else None,
                digests=digests,
                symlink=properties.get(SYMLINK_PROPERTY),
                mode=_mode_text(properties.get(MODE_PROPERTY)),
            )
        )
    files.sort(key=lambda item: item.path)
    return tuple(files)


def _mode_text(value: Any) -> str | None:
    text = str(value) if value is not None else ""
    return text if text and len(text) <= 6 and all(c in "01234567" for c in text) else None


def recorded_file_safety(bom: Mapping[str, Any]) -> tuple[Any, ...]:
    """What the BOM records about each model file's loading safety
    (:class:`mbom.capture.checkpoints.safety.RecordedSafety`); MalformedFileError without a
    model component."""
    from mbom.capture.checkpoints.safety import recorded_files

    return recorded_files(model_component(bom))
