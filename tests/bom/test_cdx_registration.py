"""The serialiser's dependency registration, made linear (mbom.bom._cdx.registered_once).

cyclonedx-python-lib's outputter registers every component again, each by a scan of every
dependency entry (its issue 1006): quadratic in the number of files. Measured in
benchmarks/, not here; here: the same bytes, and the library's scan no longer runs for a
graph that is already complete.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from mbom.bom._cdx import dependency_entries, registered_once


def make_bom(files: int, *, complete: bool = True):  # type: ignore[no-untyped-def]
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType

    model = Component(type=ComponentType.MACHINE_LEARNING_MODEL, name="m", bom_ref="model")
    parts = [
        Component(type=ComponentType.FILE, name=f"f{i:04d}", bom_ref=f"model-file:f{i:04d}")
        for i in range(files)
    ]
    stamp = datetime(2026, 12, 3, tzinfo=timezone.utc)
    bom = Bom(
        serial_number=uuid.UUID(int=0),
        metadata=BomMetaData(component=model, timestamp=stamp),
        components=parts,
    )
    listed = bom.components if complete else list(bom.components)[: files // 2]
    bom.dependencies = dependency_entries(model, parts if complete else parts[:1], listed)
    return bom


def output(bom) -> str:  # type: ignore[no-untyped-def]
    from cyclonedx.output.json import JsonV1Dot6

    return JsonV1Dot6(bom).output_as_string(indent=2)


@pytest.mark.parametrize("complete", [True, False])
def test_same_document_with_and_without(complete: bool) -> None:
    plain = make_bom(50, complete=complete)
    fast = make_bom(50, complete=complete)
    registered_once(fast)
    assert output(fast) == output(plain)


def test_a_complete_graph_is_not_scanned_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from cyclonedx.model.bom import Bom

    calls: list[object] = []
    scan = Bom.register_dependency

    def counted(self, target, depends_on=None):  # type: ignore[no-untyped-def]
        calls.append(target)
        return scan(self, target, depends_on)

    monkeypatch.setattr(Bom, "register_dependency", counted)
    bom = make_bom(200)
    registered_once(bom)
    output(bom)
    assert calls == []
    plain = make_bom(200)
    output(plain)
    assert len(calls) == 201  # without it: the model and every file, each a scan
