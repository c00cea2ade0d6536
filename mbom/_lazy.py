"""Lazy public names for a package: ``from mbom.attest import verify_bundle`` without importing
sigstore or cryptography until the name is first used (keeps ``mbom --help`` fast)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` loading ``name`` from ``package.<module>``.

    ``exports`` maps each public name to the submodule defining it; a loaded name is stored in
    ``namespace`` (the package's globals) so the lookup happens once.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
