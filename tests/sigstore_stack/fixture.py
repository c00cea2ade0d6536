"""The session-scoped `sigstore_stack` pytest fixture (load with `pytest_plugins`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.sigstore_stack.server import LOOPBACK
from tests.sigstore_stack.stack import SigstoreStack, running_stack


def _no_proxy_with_loopback() -> str:
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    return ",".join(filter(None, [current, LOOPBACK, "localhost"]))


@pytest.fixture(scope="session")
def sigstore_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigstoreStack]:
    """A running local Sigstore for the whole session, stopped at its end.

    Loopback is added to NO_PROXY so a proxy in the environment can never carry test traffic
    off the machine.
    """
    with pytest.MonkeyPatch.context() as env:
        no_proxy = _no_proxy_with_loopback()
        env.setenv("NO_PROXY", no_proxy)
        env.setenv("no_proxy", no_proxy)
        with running_stack(tmp_path_factory.mktemp("sigstore-stack")) as stack:
            yield stack
