"""``--oci-ref``: does a pulled directory hold exactly an artifact's layers' contents?

Usage::

    from mbom.verify.oci_content import content_checks

    checks = content_checks("model/", artifact, layers, workdir)   # one check per problem

A raw layer is compared by digest with the file its annotation names; a tar layer is
downloaded (size and digest checked) into ``workdir`` and read as a stream, each member
hashed and compared with the file of that name (nothing is unpacked). Files in the
directory that no layer accounts for fail too: a pulled model with an extra file is not the
artifact that was verified.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

from mbom.verify.checks import Check, fail, passed


def content_checks(
    directory: str,
    artifact: Any,
    layers: Mapping[str, Any],
    workdir: str,
    *,
    jobs: int | None = None,
    inside: frozenset[str] = frozenset(),
) -> list[Check]:
    """One failing check per difference between ``directory`` and the layers (one pass
    when none); ``inside``: bundle files kept in the directory, never compared."""
    from mbom.errors import MbomError
    from mbom.hashing import hash_tree
    from mbom.hashing._oci_layers import is_tar_layer, tar_members
    from mbom.hashing._oci_registry import Registry

    tree = hash_tree(directory, cache=False, ignore_file=False, jobs=jobs, report_anomalies=True)
    on_disk = {f.path: f.digests["sha256"] for f in tree.files if f.path not in inside}
    expected: dict[str, tuple[str, str]] = {}  # file -> (sha256, layer digest)
    checks: list[Check] = []
    registry = Registry(artifact.reference)
    for name, layer in sorted(layers.items()):
        if not is_tar_layer(layer.media_type):
            expected[name] = (layer.hex, layer.digest)
            continue
        blob = os.path.join(workdir, f"content-{layer.hex}")
        where = f"layer {name} ({layer.digest})"
        try:
            with open(blob, "xb") as sink:
                registry.blob_to(layer, sink)
            with open(blob, "rb") as handle:
                for member in tar_members(handle, layer.media_type, where=where):
                    digest = hashlib.sha256()
                    while chunk := member.read(1 << 20):
                        digest.update(chunk)
                    expected[member.name] = (digest.hexdigest(), layer.digest)
        except MbomError as exc:
            checks.append(fail("oci-content", exc.message, path=name))
        finally:
            if os.path.exists(blob):
                os.unlink(blob)
    for path, (sha256, layer_digest) in sorted(expected.items()):
        actual = on_disk.get(path)
        if actual is None:
            checks.append(
                fail("oci-content", f"{path}: in layer {layer_digest}, missing here", path=path)
            )
        elif actual != sha256:
            checks.append(
                fail(
                    "oci-content",
                    f"{path}: differs from layer {layer_digest}",
                    path=path,
                    expected=sha256,
                    actual=actual,
                )
            )
    for path in sorted(set(on_disk) - set(expected)):
        checks.append(fail("oci-content", f"{path}: not in any layer of the artifact", path=path))
    if not checks:
        checks.append(
            passed(
                "oci-content",
                f"{directory} holds exactly the contents of {len(layers)} layers "
                f"({len(expected)} files)",
            )
        )
    return checks
