"""Generate a Model Bill of Materials: capture everything about a model, write one BOM.

Usage::

    from mbom.generate import GenerateRequest, generate, write_bom

    request = GenerateRequest(
        model="out/model",
        datasets=("train=data/train", "s3://bucket/eval"),
        configs=("train.yaml",),
        parents=("base.cdx.json.sigstore.json",),
        name="sentiment", version="1.2.0",
    )
    built = generate(request, manifest_stem="bom")   # validated, deterministic
    write_bom(built, "bom.cdx.json")                 # atomic, plus sidecar manifests

Data flows one way: capture (hashing through mbom.hashing) -> mbom.bom.build. The request can
come from CLI flags or from an ``mbom.yaml`` (:func:`load_request_file`, schema in
schemas/mbom-yaml.schema.json).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mbom.errors import InputError
from mbom.hashing import DEFAULT_ALGORITHM, HashCache, check_algorithm

if TYPE_CHECKING:  # imported where used: the BOM layer loads while the model is hashed
    from pathlib import Path  # (and pathlib then: nothing before the hashing needs it)

    from mbom.bom.build import BomInputs, BuildOptions, BuiltBom, ConfigInput


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    """What to capture. Paths are as the user gave them (relative paths stay relative)."""

    model: str | None = None
    datasets: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    hf: str | None = None
    name: str | None = None
    version: str | None = None
    spec_version: str = "1.6"
    algorithms: tuple[str, ...] = (DEFAULT_ALGORITHM,)
    container_image: str | None = None
    python: str | None = None
    """Record this interpreter's environment (a training venv) instead of mbom's own."""
    git_dir: str | None = "."
    environment: bool = True
    packages: bool = True
    manifest_threshold: int = 1000
    pull: bool = True
    """For ``oci://`` models: download the layers (False: manifests only, no blob request)."""
    platform: str | None = None
    """For an ``oci://`` index: the ``os/arch[/variant]`` manifest to describe."""
    extra: dict[str, object] = field(default_factory=dict)


def generate(
    request: GenerateRequest,
    *,
    manifest_stem: str = "bom",
    cache: bool = True,
    jobs: int | None = None,
    executor: object | None = None,
) -> BuiltBom:
    """Capture what ``request`` names and build a validated BOM (nothing is written).

    ``executor`` (e.g. :func:`mbom.hashing._dask.executor_for`) hashes the model directory
    and the datasets elsewhere, with the same result."""
    from mbom.capture.model import capture_model

    algorithms = request_algorithms(request)
    if request.model is None and request.hf is None:
        raise InputError("nothing to describe: give --model PATH or --hf REPO")
    if request.model is not None and request.hf is not None:
        raise InputError("give either --model PATH or --hf REPO, not both")
    if (not request.pull or request.platform) and not str(request.model).startswith("oci://"):
        raise InputError("--no-pull and --platform apply to an oci:// model only")

    def digest_free() -> BomInputs:
        from mbom.bom.build import prepare

        context = capture_context(request, cache=cache, jobs=jobs, executor=executor)
        prepare(build_options(request, manifest_stem), licences=may_name_licence(request, context))
        return context

    overlap = _Overlap(digest_free)
    if request.hf is not None:
        from mbom.capture.hub import capture_hub_model

        model = capture_hub_model(request.hf, algorithms=algorithms, cache=cache, jobs=jobs)
    elif request.model.startswith("oci://"):
        from mbom.capture.oci import capture_oci_model

        model = capture_oci_model(
            request.model,
            algorithms=algorithms,
            pull=request.pull,
            platform=request.platform,
            jobs=jobs,
        )
    else:
        model = capture_model(
            request.model,
            algorithms=algorithms,
            cache=cache,
            jobs=jobs,
            executor=executor,
            meanwhile=overlap,
        )
    from mbom.bom.build import build_bom

    inputs = replace(overlap.result(), model=model)
    return build_bom(inputs, build_options(request, manifest_stem))


class _Overlap:
    """Work that needs no model digest, run while the model's workers hash (or after).

    Nothing it does depends on the model, so the BOM is the same bytes either way. An error
    it raises is held until the model is hashed: the model's own error, if any, comes
    first, as when the two ran one after the other.
    """

    def __init__(self, work: Callable[[], BomInputs]) -> None:
        self.work = work
        self.ran = False
        self.value: BomInputs | None = None
        self.error: Exception | None = None

    def __call__(self) -> None:
        if self.ran:
            return
        self.ran = True
        try:
            self.value = self.work()
        except Exception as exc:  # re-raised by result()
            self.error = exc

    def result(self) -> BomInputs:
        self()
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # set: the work ran without error


def request_algorithms(request: GenerateRequest) -> tuple[str, ...]:
    """The request's digest algorithms, checked, SHA-256 first when not named."""
    algorithms = tuple(dict.fromkeys(check_algorithm(a) for a in request.algorithms))
    if DEFAULT_ALGORITHM not in algorithms:
        algorithms = (DEFAULT_ALGORITHM, *algorithms)  # subjects and verification need SHA-256
    return algorithms


def capture_context(
    request: GenerateRequest,
    *,
    cache: bool | HashCache = True,
    jobs: int | None = None,
    executor: object | None = None,
) -> BomInputs:
    """Everything but the model: datasets, configs, parents and the environment (``model``
    is None in the result; the training recorder captures this at the start of a run)."""
    from mbom.bom.build import BomInputs
    from mbom.bom.parents import read_parent

    algorithms = request_algorithms(request)
    datasets = tuple(
        _capture_dataset(text, algorithms=algorithms, cache=cache, jobs=jobs, executor=executor)
        for text in request.datasets
    )
    _check_unique([d.name for d in datasets], "dataset name")
    configs = tuple(_capture_config(path) for path in request.configs)
    parents = tuple(read_parent(path) for path in request.parents)
    environment = None
    if request.environment:
        from mbom.capture.environment import capture_environment

        environment = capture_environment(
            container_image=request.container_image,
            git_dir=request.git_dir,
            include_packages=request.packages,
            python=request.python,
        )
    return BomInputs(
        model=None,
        datasets=datasets,
        configs=configs,
        environment=environment,
        parents=parents,
        name=request.name,
        version=request.version,
    )


def may_name_licence(request: GenerateRequest, context: BomInputs) -> bool:
    """Whether a card may name a licence: a dataset's card does, or the model has a card (a
    local ``README.md``, a hub or registry model). Only a guess of what to load early: a
    licence found later is still looked up, after hashing."""
    from mbom.capture.huggingface import CARD_NAME

    if any(getattr(d.card, "license", None) for d in context.datasets):
        return True
    if request.hf is not None or str(request.model).startswith("oci://"):
        return True
    return os.path.isfile(os.path.join(str(request.model), CARD_NAME))


def build_options(request: GenerateRequest, manifest_stem: str) -> BuildOptions:
    from mbom.bom.build import BuildOptions

    return BuildOptions(
        spec_version=request.spec_version,
        manifest_threshold=request.manifest_threshold,
        manifest_stem=manifest_stem,
    )


def write_bom(built: BuiltBom, output: str | os.PathLike[str]) -> list[Path]:
    """Write the sidecar manifests and the BOM as one set (the BOM renamed last): a failure
    at any point leaves the previous BOM and its manifests as they were. Returns the paths."""
    from pathlib import Path

    from mbom._atomic import write_atomic_set

    target = Path(output)
    written = [target.parent / name for name, _content in built.manifests]
    written.append(target)
    contents = [
        content if isinstance(content, bytes) else content.payload()
        for _name, content in built.manifests
    ]
    write_atomic_set(list(zip(written, [*contents, built.text])))
    return written


def manifest_stem_for(output: str | os.PathLike[str]) -> str:
    """``bom.cdx.json`` -> ``bom``: the prefix of sidecar manifest names beside a BOM."""
    name = os.path.basename(os.path.normpath(os.fspath(output)))  # what Path(output).name is
    for suffix in (".cdx.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)] or "bom"
    return name


def _capture_dataset(text: str, *, executor: object | None = None, **options: Any) -> Any:
    """A ``--dataset`` (local path, URI, or ``hf://datasets/ORG/NAME[@REV]``) -> DatasetRecord.

    A Hub dataset is a snapshot in the local Hub cache (links into its blobs): hashed here."""
    from mbom.capture.datasets import capture_dataset, parse_dataset_spec
    from mbom.capture.hub import DATASET_PREFIX, capture_hub_dataset, dataset_reference

    spec = parse_dataset_spec(text)
    reference = dataset_reference(spec.location)
    if reference is None:
        return capture_dataset(spec, executor=executor, **options)
    if text.startswith(DATASET_PREFIX):  # no NAME= given: the repo id names it
        spec = type(spec)(name=reference.partition("@")[0], location=spec.location)
    return capture_hub_dataset(spec, **options)


def _capture_config(path: str) -> ConfigInput:
    from pathlib import Path

    from mbom.bom.build import ConfigInput
    from mbom.capture.configs import parse_config
    from mbom.hashing import hash_file

    if not os.path.isfile(path):
        raise InputError(f"config {path}: no such file", path=path)
    digest = hash_file(path)
    return ConfigInput(
        digest=digest._replace(path=Path(path).as_posix()), record=parse_config(path)
    )


def _check_unique(names: list[str], what: str) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise InputError(f"duplicate {what} {name!r}: name each with NAME=PATH")
        seen.add(name)
