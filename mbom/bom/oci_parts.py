"""The BOM's record of a model read from an OCI registry: manifest, config, layers.

Usage (from :mod:`mbom.bom.build`)::

    pairs += oci_properties(model.oci)                 # on the model component
    extra += oci_file_properties(model.oci, path)      # on each layer's file component
    oci_purl(model.oci)                                # pkg:oci/NAME@sha256:...?repository_url=...

Property names (all ``mbom:oci:*``, read back by :func:`recorded_oci` for verification):
``reference`` (pinned to the manifest digest), ``requested`` (as given, e.g. a tag),
``manifest-digest``, ``media-type``, ``artifact-type``, ``config-digest``,
``config-media-type``, ``index-digest`` and ``platform`` (when chosen from an index),
``pulled``; per layer ``layer-digest`` and ``layer-media-type``. The manifest digest binds
everything the manifest says (config, annotations, layer order) into the signed BOM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PREFIX = "mbom:oci:"
MANIFEST_DIGEST = PREFIX + "manifest-digest"
LAYER_DIGEST = PREFIX + "layer-digest"


def oci_properties(oci: Any) -> list[tuple[str, object]]:
    """The model component's properties for an artifact (none for other models)."""
    if oci is None:
        return []
    artifact = oci.artifact
    manifest = artifact.manifest
    config = manifest.config
    return [
        (PREFIX + "reference", artifact.reference.display),
        (PREFIX + "requested", oci.requested),
        (MANIFEST_DIGEST, manifest.digest),
        (PREFIX + "media-type", manifest.media_type),
        (PREFIX + "artifact-type", manifest.artifact_type),
        (PREFIX + "config-digest", config.digest if config else None),
        (PREFIX + "config-media-type", config.media_type if config else None),
        (PREFIX + "index-digest", artifact.index.digest if artifact.index else None),
        (PREFIX + "platform", artifact.platform),
        (PREFIX + "pulled", str(oci.pulled).lower()),
    ]


def oci_file_properties(oci: Any, path: str) -> list[tuple[str, object]]:
    """A layer's digest and media type on the file component standing for it."""
    layer = oci.layers.get(path) if oci is not None else None
    if layer is None:
        return []
    return [(LAYER_DIGEST, layer.digest), (PREFIX + "layer-media-type", layer.media_type)]


def oci_contents(oci: Any, path: str) -> tuple[Any, ...]:
    """The files unpacked from the tar layer ``path`` (pulled artifacts only)."""
    return tuple(oci.contents.get(path, ())) if oci is not None else ()


def oci_purl(oci: Any) -> Any:
    """``pkg:oci/NAME@sha256:...?repository_url=HOST/REPO`` (the purl spec's oci type)."""
    if oci is None:
        return None
    from packageurl import PackageURL

    ref = oci.artifact.reference
    return PackageURL(
        type="oci",
        name=ref.repository.rsplit("/", 1)[-1],
        version=ref.digest,
        qualifiers={"repository_url": ref.name},
    )


def recorded_oci(model_component: Mapping[str, Any]) -> dict[str, str]:
    """The ``mbom:oci:*`` properties recorded on a BOM's model component (name -> value)."""
    return {
        str(p.get("name")): str(p.get("value"))
        for p in model_component.get("properties") or ()
        if isinstance(p, Mapping) and str(p.get("name", "")).startswith(PREFIX)
    }
