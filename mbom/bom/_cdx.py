"""CycloneDX values from plain ones: properties, hashes, licences, parameter types.

Every BOM part builder (model, datasets, formulation, ancestors) writes these the same way;
this is the one place that decides how.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mbom.bom.ml_parts import Prop
from mbom.bom.subjects import MODE_PROPERTY, SIZE_PROPERTY, SYMLINK_PROPERTY
from mbom.bom.versions import version_properties
from mbom.hashing import CYCLONEDX_NAMES, recorded_mode

if TYPE_CHECKING:
    from mbom.hashing import FileDigest, TreeDigest

#: bom-ref of the model component: parts link to it (outputs, ancestor links, dependencies).
MODEL_REF = "model"


def props(pairs: Iterable[tuple[str, object]]) -> list[Any]:
    from cyclonedx.model import Property

    return [Property(name=name, value=str(value)) for name, value in pairs if value is not None]


def hashes(digests: Mapping[str, str]) -> list[Any]:
    from cyclonedx.model import HashAlgorithm, HashType

    return [
        HashType(alg=HashAlgorithm(CYCLONEDX_NAMES[name]), content=value)
        for name, value in sorted(digests.items())
    ]


def file_component(ref_prefix: str, entry: FileDigest, extra: Sequence[tuple]) -> Any:
    """A file's component (model file, dataset file): its digests, size, mode, symlink target
    and object version, then ``extra`` properties."""
    from cyclonedx.model.component import Component, ComponentType

    pairs = [
        (SIZE_PROPERTY, entry.size),
        (SYMLINK_PROPERTY, entry.symlink),
        (MODE_PROPERTY, recorded_mode(entry.mode)),
        *version_properties(entry.version),
        *extra,
    ]
    return Component(
        type=ComponentType.FILE,
        name=entry.path,
        bom_ref=f"{ref_prefix}{entry.path}",
        hashes=hashes(entry.digests),
        properties=props(pairs),
    )


def tree_properties(prefix: str, tree: TreeDigest) -> list[tuple[str, object]]:
    """A hashed tree's counts, Merkle roots (a directory's) and ignored patterns."""
    pairs: list[tuple[str, object]] = [
        (f"{prefix}files", len(tree.files)),
        (f"{prefix}bytes", tree.total_size),
    ]
    if tree.is_directory:
        pairs += [(f"mbom:merkle-root:{name}", tree.root(name)) for name in tree.algorithms]
    if tree.ignored:
        pairs.append((f"{prefix}ignored", json.dumps(list(tree.ignored))))
    return pairs


def licence(text: str | None) -> list[Any]:
    """An SPDX licence id where ``text`` is one (any case), else a named licence; none for none.

    The SPDX list is loaded only for a text (30-40 ms): most models name no licence."""
    if not text:
        return []
    from cyclonedx.model.license import DisjunctiveLicense
    from cyclonedx.spdx import fixup_id

    spdx = fixup_id(text)
    return [DisjunctiveLicense(id=spdx) if spdx else DisjunctiveLicense(name=text)]


def dependency_entries(model: Any, parts: Iterable[Any], components: Iterable[Any]) -> list[Any]:
    """The dependency graph at once: the model on its ``parts``, an empty entry per component.

    ``Bom.register_dependency`` looks each target up by scanning every entry: registering
    them one by one, with 1,000 files, was a million comparisons. The serialiser registers
    every component again (:func:`registered_once`)."""
    from cyclonedx.model.dependency import Dependency

    entries = [Dependency(ref=component.bom_ref) for component in components]
    if model is not None:
        on = [Dependency(ref=part.bom_ref) for part in parts]
        entries.append(Dependency(ref=model.bom_ref, dependencies=on))
    return entries


def registered_once(bom: Any) -> None:
    """Make the serialiser's registration pass over ``bom`` linear instead of quadratic.

    The JSON outputter calls ``Bom.validate()``, which calls ``register_dependency`` for every
    component, and each call finds the target by scanning every dependency entry: with
    1,000 files, 750,000 comparisons, 0.2 s (cyclonedx-python-lib issue 1006; the fix,
    pull request 1007, is not released). A target already registered, with nothing to add,
    is left alone by the library's method; this instance's version answers that case from a
    set of the refs registered, and hands every other call to the library's own method."""
    from cyclonedx.model.bom import Bom

    known = {entry.ref for entry in bom.dependencies}

    def register_dependency(target: Any, depends_on: Iterable[Any] | None = None) -> None:
        if not depends_on and target.bom_ref in known:
            return  # what the library does here: nothing
        Bom.register_dependency(bom, target, depends_on)
        known.add(target.bom_ref)
        known.update(part.bom_ref for part in depends_on or ())

    bom.register_dependency = register_dependency


def json_scalar_type(value: object) -> str:
    """A hyperparameter's CycloneDX data type: its JSON scalar type, else ``string`` (encoded)."""
    from mbom._shape import json_type

    name = json_type(value)
    return name if name in ("null", "boolean", "integer", "number") else "string"


def prop_list(pairs: Iterable[tuple[str, object]]) -> list[Prop]:
    """mbom's own Prop values (the ML parts the model classes lack), None values left out."""
    return [Prop(name, str(value)) for name, value in pairs if value is not None]
