"""Which Python environment a BOM records: this process's, or another interpreter's (a training
virtual environment) named by ``mbom generate --python PATH``.

Usage::

    from mbom.capture.interpreter import current_interpreter, read_interpreter

    found = read_interpreter(".venv-train/bin/python")   # or the venv's folder
    found.implementation, found.version, found.site_dirs, found.how

Nothing of the training environment is imported or executed when it is a virtual environment:
its ``pyvenv.cfg`` gives the version and its ``site-packages`` folders hold the distributions'
metadata, which :func:`mbom.capture.environment.installed_packages` reads as files. Only an
interpreter that is not a venv is started, isolated (``-I -S``: no site-packages, no ``.pth``
files, no environment variables, no current directory on ``sys.path``), with a fixed script
that prints its version and site folders; its own packages are still read as files here.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass

from mbom.errors import InputError

RUN_TIMEOUT_S = 30
_SCRIPT = (
    "import json, platform, site, sys; print(json.dumps({'implementation': "
    "platform.python_implementation(), 'version': platform.python_version(), "
    "'site': site.getsitepackages()}))"
)


@dataclass(frozen=True, slots=True)
class Interpreter:
    """A Python environment: where it is, its version, where its distributions are."""

    path: str
    implementation: str
    version: str
    site_dirs: tuple[str, ...] | None
    """Folders whose ``*.dist-info`` are read; None: this process's ``sys.path``."""
    how: str
    """How it was read, for the BOM and the summary line."""


def current_interpreter() -> Interpreter:
    """The Python running mbom (what ``generate`` records without ``--python``)."""
    return Interpreter(
        path=sys.executable,
        implementation=platform.python_implementation(),
        version=platform.python_version(),
        site_dirs=None,
        how="the Python running mbom",
    )


def read_interpreter(path: str) -> Interpreter:
    """The environment of the interpreter (or virtual environment folder) at ``path``."""
    if not os.path.exists(path):
        raise InputError(
            f"--python {path}: no such file or directory (give the training environment's "
            "interpreter, e.g. .venv/bin/python, or its folder)",
            path=path,
        )
    root = path if os.path.isdir(path) else os.path.dirname(os.path.dirname(path))
    config = os.path.join(root, "pyvenv.cfg")
    if os.path.isfile(config):
        return _from_venv(path, root, config)
    if os.path.isdir(path):
        raise InputError(
            f"--python {path}: a folder without pyvenv.cfg is not a virtual environment "
            "(give its interpreter instead)",
            path=path,
        )
    return _from_running(path)


def _from_venv(path: str, root: str, config: str) -> Interpreter:
    values = _pyvenv(config)
    version = values.get("version_info") or values.get("version") or ""
    version = ".".join(version.split(".")[:3])
    patterns = ("lib/python*/site-packages", "lib64/python*/site-packages", "Lib/site-packages")
    site = sorted({os.path.realpath(d) for p in patterns for d in glob.glob(os.path.join(root, p))})
    minor = ".".join(version.split(".")[:2])
    if minor:  # a venv that once held another Python keeps its old folder: not this one's
        site = [d for d in site if "python" not in os.path.basename(os.path.dirname(d))
                or os.path.basename(os.path.dirname(d)).endswith(minor)]  # fmt: skip
    if not site:
        raise InputError(f"--python {path}: {root} has no site-packages folder", path=path)
    how = f"the virtual environment {root} (pyvenv.cfg and site-packages read, nothing run)"
    if values.get("include-system-site-packages", "false").lower() == "true":
        how += "; its system site-packages are not listed"
    return Interpreter(
        path=path,
        implementation=values.get("implementation") or "CPython",
        version=version or "unknown",
        site_dirs=tuple(site),
        how=how,
    )


def _from_running(path: str) -> Interpreter:
    try:
        done = subprocess.run(
            [path, "-I", "-S", "-c", _SCRIPT],
            capture_output=True,
            timeout=RUN_TIMEOUT_S,
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
            check=False,
        )
        answer = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("site"), list):
        raise InputError(
            f"--python {path}: not a Python interpreter that mbom could ask for its version "
            "(give the training environment's bin/python)",
            path=path,
        )
    return Interpreter(
        path=path,
        implementation=str(answer.get("implementation")),
        version=str(answer.get("version")),
        site_dirs=tuple(str(d) for d in answer["site"] if os.path.isdir(str(d))),
        how=f"the interpreter {path} (run isolated with -I -S to name its site folders)",
    )


def _pyvenv(config: str) -> dict[str, str]:
    values: dict[str, str] = {}
    with open(config, encoding="utf-8", errors="replace") as handle:
        for line in handle.read(64 * 1024).splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip().lower()] = value.strip()
    return values
