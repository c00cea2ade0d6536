"""One real Dask cluster (scheduler + 2 worker processes) for this directory's tests."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed", reason="the Dask tests need dask.distributed (mbom[dask])")

from tests.helpers.daskcluster import DaskCluster, dask_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    with dask_cluster(tmp_path_factory.mktemp("dask")) as running:
        yield running


__all__ = ["DaskCluster"]
