"""Per-kind example budgets derived from the active hypothesis profile (see conftest.py)."""

from __future__ import annotations

from hypothesis import settings

#: In-process library parsers: the profile's full budget.
LIBRARY = settings(max_examples=settings.default.max_examples)
#: Whole CLI commands (one process-level run each, in-process): a tenth of it.
CLI = settings(max_examples=max(20, settings.default.max_examples // 10))
#: Commands that hash, build and schema-validate a whole BOM (generate): a fortieth.
SLOW_CLI = settings(max_examples=max(10, settings.default.max_examples // 40))
