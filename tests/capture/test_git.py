from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mbom.capture.git import capture_git, strip_credentials

IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]


def run_git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *IDENTITY, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    path = tmp_path / "repo"
    path.mkdir()
    run_git(path, "init", "--quiet", "--initial-branch=main")
    (path / "train.py").write_text("print('train')\n", encoding="utf-8")
    run_git(path, "add", "train.py")
    run_git(path, "commit", "--quiet", "-m", "first")
    return path


def test_clean_repository(repo: Path) -> None:
    record = capture_git(repo)
    assert record is not None
    assert record.commit == run_git(repo, "rev-parse", "HEAD")
    assert len(record.commit) == 40
    assert record.branch == "main"
    assert record.remote_url is None
    assert record.dirty is False


def test_edit_makes_it_dirty_and_subdirectories_work(repo: Path) -> None:
    (repo / "train.py").write_text("print('changed')\n", encoding="utf-8")
    (repo / "sub").mkdir()
    record = capture_git(repo / "sub")
    assert record is not None
    assert record.dirty is True


def test_untracked_file_makes_it_dirty(repo: Path) -> None:
    (repo / "new.txt").write_text("x\n", encoding="utf-8")
    record = capture_git(str(repo))
    assert record is not None and record.dirty


def test_remote_credentials_are_stripped(repo: Path) -> None:
    run_git(repo, "remote", "add", "origin", "https://user:token@host/x.git")
    record = capture_git(repo)
    assert record is not None
    assert record.remote_url == "https://host/x.git"


def test_origin_preferred_else_first_remote(repo: Path) -> None:
    run_git(repo, "remote", "add", "zeta", "https://z.example/z.git")
    run_git(repo, "remote", "add", "alpha", "https://a.example/a.git")
    assert capture_git(repo).remote_url == "https://a.example/a.git"  # type: ignore[union-attr]
    run_git(repo, "remote", "add", "origin", "git@o.example:o/o.git")
    assert capture_git(repo).remote_url == "git@o.example:o/o.git"  # type: ignore[union-attr]


def test_detached_head_has_no_branch(repo: Path) -> None:
    run_git(repo, "checkout", "--quiet", "--detach")
    record = capture_git(repo)
    assert record is not None and record.branch is None


def test_not_a_repository_or_no_commit_gives_none(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plain = tmp_path / "plain"
    plain.mkdir()
    assert capture_git(plain) is None
    assert capture_git(tmp_path / "does-not-exist") is None
    empty = tmp_path / "empty"
    empty.mkdir()
    run_git(empty, "init", "--quiet")
    assert capture_git(empty) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:token@host/x.git", "https://host/x.git"),
        ("https://token@github.com/o/r.git", "https://github.com/o/r.git"),
        ("http://u:p@host:8080/r.git?private_token=abc#frag", "http://host:8080/r.git"),
        ("https://host/x.git", "https://host/x.git"),
        ("ssh://git:secret@host:2222/r.git", "ssh://git@host:2222/r.git"),
        ("ssh://git@host/r.git", "ssh://git@host/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("/srv/repos/r.git", "/srv/repos/r.git"),
        ("https://u:p@host:notaport/r.git", "https://host:notaport/r.git"),
        ("https://u:p@[::1]:8443/r.git", "https://[::1]:8443/r.git"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected
