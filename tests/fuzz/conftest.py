"""Hypothesis profiles for the fuzz suite, chosen by ``HYPOTHESIS_PROFILE`` (default ``ci``).

* ``ci`` -- bounded, used by ``make test``: a few thousand examples a parser in total, so the
  whole suite stays fast; derandomized, so a CI failure reproduces on any machine.
* ``long`` -- ``make fuzz``: tens of thousands of examples a parser, still derandomized unless
  ``HYPOTHESIS_SEED``/``--hypothesis-seed`` asks for a fresh stream.

Fuzz tests never set ``max_examples`` themselves: they take a budget from
:mod:`tests.fuzz.budget` by kind (library parser, CLI command, slow CLI command), which
follows the same profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "derandomize": True,
    "print_blob": True,
    "suppress_health_check": (
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ),
}
settings.register_profile("ci", max_examples=500, **_COMMON)
settings.register_profile("long", max_examples=50_000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


import pytest  # noqa: E402

from tests.fuzz.seeds import Seeds, make_seeds  # noqa: E402


@pytest.fixture(scope="session")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Seeds:
    """Valid inputs made by mbom once per session (keys, model, BOMs, bundles, proof...)."""
    return make_seeds(tmp_path_factory.mktemp("fuzz-seeds"))
