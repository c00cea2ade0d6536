"""Record a training run from any Python loop, and write its BOM at the end.

Usage::

    import mbom

    with mbom.record(
        "out/bom.cdx.json",
        name="sentiment", version="1.0",
        config={"lr": 3e-4, "epochs": 3, "seed": 42},   # or configs=("train.yaml",)
        datasets=("train=data/train", "hf://datasets/org/qqp"),
        base_model="org/base-model",
        sign_key="release.pem",                          # or keyless=mbom.attest.Keyless(...)
    ) as run:
        for step in range(1, 101):
            ...
            save(model, f"out/ckpt-{step}")
            run.checkpoint(f"out/ckpt-{step}", step=step, metrics={"loss": loss})
    run.result.bom, run.result.bundle

At the start the datasets, configs, parents and the environment are captured. Each
:meth:`Run.checkpoint` hashes the checkpoint through the incremental cache (only what changed
since the last checkpoint is read) and appends a step -- path, step, digest, metrics, the
previous checkpoint's digest -- to the chain. When the block ends without an exception the
model (``model=`` or the last checkpoint) is captured and the BOM written, validated, and
signed when a key or keyless identity was given. If the block raises, no BOM is written
(the run journal keeps every checkpoint taken: docs/recovery.md).

Every checkpoint is also appended, durably, to the run journal beside the BOM
(``out/bom.journal.jsonl``; ``journal=`` another path, ``journal=False`` none), signed with the
first ``sign_key`` (or ``journal_key=``). ``record(..., resume="auto")`` recovers from it: the
newest checkpoint whose bytes verify (``run.resumed.step`` / ``.path``; None on a fresh start),
the same chain and run id, the recovery recorded (docs/recovery.md). ``resume_from="out/ckpt-40"``
instead continues the chain of the BOM already at the output path (its steps up to that
checkpoint, matched by digest); without one, the chain starts at the resumed checkpoint. The
cache and its racy-write rule: docs/integrations/training.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mbom.bom.build import BomInputs, CheckpointStep
from mbom.bom.ml_parts import Prop
from mbom.bom.recorded_chain import recorded_steps
from mbom.errors import InputError
from mbom.generate import (
    GenerateRequest,
    build_options,
    capture_context,
    manifest_stem_for,
    request_algorithms,
    write_bom,
)
from mbom.hashing import HashCache, hash_tree
from mbom.recovery.session import JournalOptions, start_facts

__all__ = ["RecordResult", "Run", "record"]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What a finished run wrote."""

    bom: Path
    bundle: Path | None
    document: Mapping[str, Any]
    checkpoints: tuple[CheckpointStep, ...]


@dataclass(slots=True)
class _Best:
    path: str
    metric: str | None
    score: float | None


def record(
    output: PathLike = "bom.cdx.json",
    *,
    name: str | None = None,
    version: str | None = None,
    config: Mapping[str, Any] | None = None,
    configs: Sequence[PathLike] = (),
    datasets: Sequence[str] = (),
    parents: Sequence[PathLike] = (),
    base_model: str | None = None,
    model: PathLike | None = None,
    resume_from: PathLike | None = None,
    resume: str | None = None,
    journal: PathLike | bool = True,
    run_dir: PathLike | None = None,
    journal_key: PathLike | Any = None,
    sign_key: PathLike | Sequence[PathLike] | Any = None,
    passphrase: str | None = None,
    keyless: Any = None,
    environment: bool = True,
    packages: bool = True,
    git_dir: PathLike | None = ".",
    algorithms: Sequence[str] = ("sha256",),
    spec_version: str = "1.6",
    cache: bool | HashCache = True,
) -> Run:
    """A :class:`Run` to use as a context manager; see the module docstring."""
    if resume not in (None, "auto"):
        raise InputError(f"resume must be None or 'auto', not {resume!r}")
    if resume is not None and resume_from is not None:
        raise InputError("give resume='auto' or resume_from=, not both")
    if resume is not None and journal is False:
        raise InputError("resume='auto' recovers from the run journal: journal=False disables it")
    request = GenerateRequest(
        datasets=tuple(datasets),
        configs=tuple(os.fspath(path) for path in configs),
        parents=tuple(os.fspath(path) for path in parents),
        name=name,
        version=version,
        spec_version=spec_version,
        algorithms=tuple(algorithms),
        git_dir=None if git_dir is None else os.fspath(git_dir),
        environment=environment,
        packages=packages,
    )
    return Run(
        Path(output),
        request,
        config=config,
        base_model=base_model,
        model=model,
        resume_from=resume_from,
        signing=_Signing(sign_key, passphrase, keyless),
        cache=cache,
        journal=JournalOptions(journal, run_dir, journal_key, resume == "auto"),
    )


@dataclass(frozen=True, slots=True)
class _Signing:
    keys: Any
    passphrase: str | None
    keyless: Any

    def sign(self, document: Mapping[str, Any], bom_path: Path) -> Path | None:
        if self.keys is None and self.keyless is None:
            return None
        from mbom import attest

        given = self.keys
        if given is not None and (isinstance(given, str | os.PathLike) or hasattr(given, "hint")):
            given = [given]
        keys = [
            key if hasattr(key, "hint") else attest.load_signing_key(key, self.passphrase)
            for key in given or ()
        ]
        from mbom.attest.bundles import bundle_paths, write_bundles

        if keys:  # one bundle per signer (the bundle spec allows one signature)
            bundles = attest.sign_bom_each(document, keys=keys)
        else:
            bundles = [attest.sign_bom(document, keyless=self.keyless)]
        paths = bundle_paths(bom_path, None, [key.hint for key in keys] or [None])
        return write_bundles(zip(paths, bundles))[0]


class Run:
    """A training run being recorded (made by :func:`record`)."""

    def __init__(
        self,
        output: Path,
        request: GenerateRequest,
        *,
        config: Mapping[str, Any] | None,
        base_model: str | None,
        model: PathLike | None,
        resume_from: PathLike | None,
        signing: _Signing,
        cache: bool | HashCache,
        journal: JournalOptions | None = None,
    ) -> None:
        self.output = output
        self.request = request
        self.parameters = _flat_parameters(config or {})
        self.base_model = base_model
        self.model = None if model is None else os.fspath(model)
        self.signing = signing
        self.properties: list[Prop] = []
        self.result: RecordResult | None = None
        self._resume_from = resume_from
        self._algorithms = request_algorithms(request)
        # git's racy-clean rule in the filesystem's own clock: a checkpoint hashed right
        # after it is written is cached as soon as that is safe, never before (see docs).
        self._cache: bool | HashCache = HashCache(filesystem_clock=True) if cache is True else cache
        self._steps: list[CheckpointStep] = []
        self._best: _Best | None = None
        self._context: BomInputs | None = None
        self._journal_options = journal
        self._journal: Any = None  # mbom.recovery.session.JournalSession
        self.resumed: Any = None  # mbom.recovery.session.Resumed after a verified resume

    # ---- the run --------------------------------------------------------------------

    def __enter__(self) -> Run:
        self.start()
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if kind is None:
            self.finish()

    def start(self) -> None:
        """Capture datasets, configs, parents and the environment (``with`` does this)."""
        if self._context is None:
            self._context = capture_context(self.request, cache=self._cache)
            if self._journal_options is not None:
                self._begin_journal(self._journal_options)
            if self._resume_from is not None:
                self._resume(os.fspath(self._resume_from))

    @property
    def checkpoints(self) -> tuple[CheckpointStep, ...]:
        return tuple(self._steps)

    def update_config(self, config: Mapping[str, Any]) -> None:
        """Add hyperparameters (flattened to dotted keys) to those given to :func:`record`."""
        self.parameters.update(_flat_parameters(config))

    def add_property(self, name: str, value: object) -> None:
        """A BOM-level property (``mbom:...``) to record, e.g. the seed or best metric."""
        self.properties.append(Prop(name, str(value)))

    def checkpoint(
        self,
        path: PathLike,
        *,
        step: int | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> CheckpointStep:
        """Hash the checkpoint at ``path`` (file or directory) and append it to the chain."""
        self.start()
        from mbom.hashing._location import is_remote

        location = os.fspath(path)
        remote = is_remote(location)  # a checkpoint in an object store, hashed where it is
        if not remote and not os.path.exists(location):
            raise InputError(f"checkpoint {location}: no such file or directory", path=location)
        tree = hash_tree(location, cache=self._cache)
        location = tree.path if remote else location  # recorded without credentials
        digest = tree.root() if tree.is_directory else tree.files[0].digests["sha256"]
        assert digest is not None
        recorded = dict(_jsonable(dict(metrics or {})))
        if self._journal is not None:  # durable before this returns
            self._journal.checkpoint(tree, location=location, step=step, metrics=recorded)
        entry = CheckpointStep(
            path=location,
            step=step,
            merkle_root=digest,
            metrics=recorded,
            parent_root=self._steps[-1].merkle_root if self._steps else None,
            is_file=not tree.is_directory,
        )
        self._steps.append(entry)
        return entry

    def mark_best(
        self, path: PathLike, *, metric: str | None = None, score: float | None = None
    ) -> None:
        """Name the best checkpoint (a recorded path) and the metric that made it best."""
        self._best = _Best(os.fspath(path), metric, score)

    def finish(self, model: PathLike | None = None) -> RecordResult:
        """Capture the model, write the BOM (and bundle); ``with`` calls this on success."""
        from mbom.bom.build import build_bom
        from mbom.capture.model import capture_model

        self.start()
        assert self._context is not None
        target = os.fspath(model) if model is not None else self.model
        if target is None:
            if not self._steps:
                raise InputError("nothing to describe: no checkpoint recorded and no model=")
            target = self._steps[-1].path
        captured = capture_model(target, algorithms=self._algorithms, cache=self._cache)
        inputs = replace(
            self._context,
            model=captured,
            checkpoints=self._marked_steps(),
            parameters=dict(self.parameters),
            base_models=(self.base_model,) if self.base_model else (),
            properties=(*self.properties, *self._run_properties()),
        )
        built = build_bom(inputs, build_options(self.request, manifest_stem_for(self.output)))
        self.output.parent.mkdir(parents=True, exist_ok=True)
        write_bom(built, self.output)
        if self._journal is not None:
            self._journal.finish(self.output)
        bundle = self.signing.sign(built.document, self.output)
        self.result = RecordResult(
            bom=self.output,
            bundle=None if bundle is None else Path(bundle),
            document=built.document,
            checkpoints=tuple(self._steps),
        )
        return self.result

    # ---- internals ------------------------------------------------------------------

    def _begin_journal(self, options: JournalOptions) -> None:
        """Open the journal; start the run, or resume it from the newest verified checkpoint."""
        self._journal = options.open(self.output, self.signing.keys, self.signing.passphrase)
        if self._journal is None:
            return
        assert self._context is not None
        facts = start_facts(self.request, self.output, self.parameters, self._context)
        self.resumed = self._journal.begin(facts, resume=options.resume)
        self._steps = list(self._journal.chain_steps())

    def _run_properties(self) -> list[Prop]:
        if self._journal is None:
            return []
        return [Prop(n, v) for n, v in self._journal.bom_properties(complete=True)]

    def _marked_steps(self) -> tuple[CheckpointStep, ...]:
        best = self._best
        if best is None:
            return tuple(self._steps)
        marked = []
        for entry in self._steps:
            if os.path.abspath(entry.path) == os.path.abspath(best.path):
                extra = [Prop("mbom:checkpoint:best", "true")]
                if best.metric is not None:
                    extra.append(Prop("mbom:checkpoint:best-metric", best.metric))
                if best.score is not None:
                    extra.append(Prop("mbom:checkpoint:best-score", json.dumps(best.score)))
                entry = replace(entry, properties=(*entry.properties, *extra))
            marked.append(entry)
        return tuple(marked)

    def _resume(self, path: str) -> None:
        """Continue the chain of the BOM at the output path up to the resumed checkpoint."""
        resumed = self.checkpoint(path)
        self._steps.clear()
        previous = recorded_steps(self.output) if self.output.is_file() else []
        for index, entry in enumerate(previous):
            if entry.merkle_root == resumed.merkle_root:
                self._steps.extend(previous[: index + 1])
                return
        self._steps.append(replace(resumed, properties=(Prop("mbom:checkpoint:resumed", "true"),)))


def _jsonable(value: Any) -> Any:
    """``value`` as JSON-compatible data: anything else (enums, paths, tensors) as ``str``."""
    return json.loads(json.dumps(value, default=_plain, allow_nan=True))


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError, RuntimeError):
            pass
    return str(value)


def _flat_parameters(config: Mapping[str, Any]) -> dict[str, Any]:
    from mbom.capture.configs import flatten

    return flatten(_jsonable(dict(config)), "config")
