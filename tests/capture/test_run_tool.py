"""A collector's external tool is never one that the current (model) directory provides."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mbom.capture._run import run_tool


def test_relative_path_entries_are_not_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    sentinel = tmp_path / "SENTINEL"
    tool = tmp_path / "mbom-test-planted-tool"
    tool.write_text(f"#!/bin/sh\ntouch {sentinel}\necho evil\n")
    tool.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", os.pathsep.join(["", ".", "/usr/bin", "/bin"]))
    assert run_tool(["mbom-test-planted-tool"], timeout=5) is None
    assert not sentinel.exists()


def test_tool_runs_outside_the_current_directory(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (run_tool(["pwd"], timeout=5) or "").strip() == "/"
