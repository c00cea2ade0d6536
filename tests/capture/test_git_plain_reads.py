"""Git facts read as data agree with real git, and a hostile .git/config starts nothing.

Real git runs here only in the TEST (to build repositories and to say what the truth is),
always in repositories without the hostile config.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from mbom.capture.git import capture_git

IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *IDENTITY, *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-xdg"))


def make_repo(path: Path, *extra_init: str) -> Path:
    path.mkdir()
    git(path, "init", "--quiet", "--initial-branch=main", *extra_init)
    (path / "train.py").write_text("print('train')\n", encoding="utf-8")
    (path / "sub").mkdir()
    (path / "sub" / "data.txt").write_text("data\n", encoding="utf-8")
    (path / "run.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    (path / "run.sh").chmod(0o755)
    os.symlink("train.py", path / "link.py")
    (path / ".gitignore").write_text("*.log\nbuild/\n", encoding="utf-8")
    git(path, "add", ".")
    git(path, "commit", "--quiet", "-m", "first")
    return path


def truth(repo: Path) -> tuple[str, str | None, bool]:
    commit = git(repo, "rev-parse", "HEAD")
    branch = subprocess.run(
        ["git", "-C", str(repo), "symbolic-ref", "--quiet", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    dirty = bool(git(repo, "status", "--porcelain"))
    return commit, branch or None, dirty


def assert_agrees(repo: Path) -> None:
    record = capture_git(repo)
    assert record is not None
    assert (record.commit, record.branch, record.dirty) == truth(repo)


def edit(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


MUTATIONS = {
    "clean": lambda r: None,
    "content": lambda r: edit(r / "sub" / "data.txt", "DATA\n"),
    "same-size-content": lambda r: edit(r / "train.py", "print('TRAIN')\n"),
    "deleted": lambda r: (r / "train.py").unlink(),
    "untracked": lambda r: edit(r / "sub" / "new.txt", "x"),
    "untracked-in-new-dir": lambda r: (r / "d").mkdir() or edit(r / "d" / "x", "x"),
    "ignored-only": lambda r: edit(r / "out.log", "x") or (r / "build").mkdir(),
    "ignored-dir-with-files": lambda r: (r / "build").mkdir() or edit(r / "build" / "o", "x"),
    "empty-dir": lambda r: (r / "empty").mkdir(),
    "new-dir-with-ignored-only": lambda r: (r / "n").mkdir() or edit(r / "n" / "x.log", "x"),
    "nested-empty-dirs": lambda r: (r / "a" / "b").mkdir(parents=True),
    "exec-bit": lambda r: (r / "train.py").chmod(0o755),
    "exec-bit-removed": lambda r: (r / "run.sh").chmod(0o644),
    "link-retargeted": lambda r: (r / "link.py").unlink() or os.symlink("run.sh", r / "link.py"),
    "staged": lambda r: edit(r / "train.py", "staged\n") or git(r, "add", "train.py"),
    "staged-then-reverted-on-disk": lambda r: (
        edit(r / "train.py", "staged\n")
        or git(r, "add", "train.py")
        or edit(r / "train.py", "print('train')\n")
    ),
    "touched-only": lambda r: os.utime(r / "train.py", (1, 1)),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_dirty_state_agrees_with_git(tmp_path: Path, name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    MUTATIONS[name](repo)
    assert_agrees(repo)


@pytest.mark.parametrize("variant", ["packed", "index-v4", "detached", "sha256"])
def test_repository_layouts(tmp_path: Path, variant: str) -> None:
    init = ("--object-format=sha256",) if variant == "sha256" else ()
    try:
        repo = make_repo(tmp_path / "repo", *init)
    except subprocess.CalledProcessError:
        pytest.skip("this git cannot make sha256 repositories")
    if variant == "packed":
        git(repo, "gc", "--quiet")
        assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    elif variant == "index-v4":
        git(repo, "update-index", "--index-version", "4")
    elif variant == "detached":
        git(repo, "checkout", "--quiet", "--detach")
    assert_agrees(repo)
    edit(repo / "train.py", "changed\n")
    assert_agrees(repo)


def test_linked_worktree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "worktree", "add", "--quiet", "-b", "feature", str(tmp_path / "wt"))
    assert_agrees(tmp_path / "wt")
    assert capture_git(tmp_path / "wt").branch == "feature"  # type: ignore[union-attr]
    edit(tmp_path / "wt" / "new", "x")
    assert_agrees(tmp_path / "wt")


def test_content_filters_make_dirty_unknown_not_wrong(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    edit(repo / ".gitattributes", "*.txt text eol=crlf\n")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "--quiet", "-m", "attrs")
    edit(repo / "sub" / "data.txt", "other\n")
    record = capture_git(repo)
    assert record is not None and record.dirty in (True, None)


def test_remote_from_config_as_data(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "remote", "add", "origin", "https://user:token@host/x.git")
    assert capture_git(repo).remote_url == "https://host/x.git"  # type: ignore[union-attr]


EVIL_CONFIG = """
[core]
\tfsmonitor = {s}
\tpager = {s}
\tsshCommand = {s}
\thooksPath = {hooks}
\teditor = {s}
[filter "x"]
\tclean = {s}
\tsmudge = {s}
\tprocess = {s}
[diff "x"]
\ttextconv = {s}
\tcommand = {s}
[diff]
\texternal = {s}
[include]
\tpath = {include}
[includeIf "gitdir:/"]
\tpath = {include}
[credential]
\thelper = !{s}
"""


def plant_evil(repo: Path, sentinel: Path) -> Path:
    """Point every program-naming git setting at a script that creates ``sentinel``."""
    script = repo.parent / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {sentinel}\ncat\n", encoding="utf-8")
    script.chmod(0o755)
    hooks = repo / ".git" / "hooks"
    for hook in ("post-checkout", "pre-commit", "post-index-change", "fsmonitor-watchman"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {sentinel}\n", encoding="utf-8")
        (hooks / hook).chmod(0o755)
    include = repo.parent / "included.gitconfig"
    include.write_text(f"[core]\n\tfsmonitor = {script}\n", encoding="utf-8")
    with open(repo / ".git" / "config", "a", encoding="utf-8") as handle:
        handle.write(EVIL_CONFIG.format(s=script, hooks=hooks, include=include))
    edit(repo / ".gitattributes", "* filter=x diff=x\n")
    return script


def test_hostile_git_config_starts_nothing_and_facts_stay_right(tmp_path: Path) -> None:
    clean = make_repo(tmp_path / "clean")
    expected = truth(clean)
    evil = tmp_path / "evil"
    subprocess.run(["cp", "-a", str(clean), str(evil)], check=True)
    sentinel = tmp_path / "SENTINEL"
    plant_evil(evil, sentinel)
    (evil / ".gitattributes").unlink()  # keep the tree state equal to the clean copy
    record = capture_git(evil)
    assert not sentinel.exists()
    assert record is not None
    assert (record.commit, record.branch, record.dirty) == expected
    # the same config really is hostile: real git would have run the script
    subprocess.run(["git", "-C", str(evil), "status"], capture_output=True, check=False)
    assert sentinel.exists()


def test_cli_generate_hash_verify_in_a_hostile_repository_start_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.verify.tamper_helpers import generate_and_sign, mbom_cli

    model = make_repo(tmp_path / "model")
    (model / "weights.bin").write_bytes(b"\0" * 64)
    git(model, "add", "weights.bin")
    git(model, "commit", "--quiet", "-m", "weights")
    commit = git(model, "rev-parse", "HEAD")
    sentinel = tmp_path / "SENTINEL"
    plant_evil(model, sentinel)
    monkeypatch.chdir(model)
    bom, bundle, pub = generate_and_sign(model, tmp_path, extra=("--model", "."))
    assert mbom_cli("hash", str(model)).returncode == 0
    verify = mbom_cli("verify", str(model), "--bundle", str(bundle), "--key", str(pub))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert not sentinel.exists()
    text = bom.read_text(encoding="utf-8")
    assert commit in text
    assert stat.S_IMODE(os.stat(model / ".git" / "config").st_mode)  # still there, untouched
