"""``mbom keygen`` warns when the private key would be committed (issue 14: the quickstart left
an unencrypted release.pem in a work tree that did not ignore it); git's own answer
(``git check-ignore``) is the reference for each case."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
WARNING = "not ignored: `git add .` would commit the private key; add *.pem to"


def _git_ignores(repo: Path, path: str) -> bool:
    done = subprocess.run(["git", "-C", str(repo), "check-ignore", "-q", path], check=False)
    return done.returncode == 0


@needs_git
@pytest.mark.parametrize(
    ("prefix", "warned"),
    [
        ("release", True),  # the quickstart's spelling, in a repository's root
        ("keys/ignored", False),  # keys/.gitignore: *.pem
        ("keys/keep", True),  # ... but !keep.pem re-includes it
        ("build/out/k", False),  # an ignored directory
        ("excluded", False),  # .git/info/exclude
    ],
)
def test_keygen_warns_when_git_would_commit_the_key(
    tmp_path: Path, prefix: str, warned: bool
) -> None:
    repo = tmp_path / "repo"
    (repo / "keys").mkdir(parents=True)
    (repo / "build" / "out").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("build/\n")
    (repo / "keys" / ".gitignore").write_text("*.pem\n!keep.pem\n")
    (repo / ".git" / "info" / "exclude").write_text("excluded.pem\n")
    result = run_cli("keygen", prefix, cwd=repo, env={"MBOM_KEY_PASSPHRASE": "correct horse"})
    assert result.returncode == 0, result.stderr
    assert (repo / f"{prefix}.pem").exists()
    assert (WARNING in result.stderr) is warned, result.stderr
    assert _git_ignores(repo, f"{prefix}.pem") is not warned  # git agrees


def test_no_warning_outside_a_repository(tmp_path: Path) -> None:
    result = run_cli(
        "keygen",
        tmp_path / "release",
        cwd=tmp_path,
        env={"MBOM_KEY_PASSPHRASE": "pw", "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
    )
    assert result.returncode == 0 and "git" not in result.stderr, result.stderr
