"""``--insecure-registry HOST[:PORT]``: the one way a command allows plain HTTP to a registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def _allow(ctx: click.Context, param: click.Parameter, hosts: tuple[str, ...]) -> tuple[str, ...]:
    """Add the hosts to ``MBOM_OCI_INSECURE_REGISTRIES`` for this process (mbom.hashing._oci_ref
    reads it; loopback registries need no flag)."""
    if hosts:
        import os

        from mbom.hashing._oci_ref import INSECURE_VARIABLE

        listed = [h for h in os.environ.get(INSECURE_VARIABLE, "").split(",") if h]
        os.environ[INSECURE_VARIABLE] = ",".join([*listed, *hosts])
    return hosts


def insecure_registry_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--insecure-registry",
        "insecure_registries",
        multiple=True,
        metavar="HOST[:PORT]",
        expose_value=False,
        callback=_allow,
        help="Talk plain HTTP to this registry (loopback needs no flag; repeatable).",
    )(command)
