"""Shared test setup: keep every test away from the user's real hash cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MBOM_CACHE_DIR", str(tmp_path_factory.mktemp("mbom-cache")))


# The local Sigstore stack (session fixture `sigstore_stack`) for offline keyless-signing tests.
pytest_plugins = ["tests.sigstore_stack.fixture"]
