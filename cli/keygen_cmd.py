"""``mbom keygen``: a key pair for ``mbom sign --key`` and ``mbom verify --key``."""

from __future__ import annotations

import os

import click

from mbom.attest.keys import DEFAULT_KEY_TYPE, KEY_TYPES, PASSPHRASE_ENV


@click.command("keygen")
@click.argument("prefix", type=click.Path(path_type=str))
@click.option(
    "--type",
    "key_type",
    type=click.Choice(KEY_TYPES),
    default=DEFAULT_KEY_TYPE,
    show_default=True,
    help="Key type (rsa is RSA-PSS, 3072 bits).",
)
def keygen_command(prefix: str, key_type: str) -> None:
    """Write PREFIX.pem (private key, mode 0600) and PREFIX.pub (public key).

    The private key is encrypted when MBOM_KEY_PASSPHRASE is set or a terminal prompt gets a
    passphrase; otherwise it is written unencrypted, with a warning. A warning also says when
    PREFIX.pem lands in a git work tree that does not ignore it (add *.pem to .gitignore).
    """
    from mbom._log import warn
    from mbom.attest.keys import key_hint, load_public_key, write_key_pair
    from mbom.cli._passphrase import new_key_passphrase

    passphrase = new_key_passphrase()
    private_path, public_path = write_key_pair(prefix, key_type, passphrase)
    if passphrase is None:
        warn(
            "%s is NOT encrypted: protect it, or set %s and run keygen again",
            private_path,
            PASSPHRASE_ENV,
        )
    _warn_if_committable(str(private_path))
    hint = key_hint(load_public_key(public_path))
    state = "encrypted" if passphrase else "unencrypted"
    click.echo(f"private key: {private_path} ({key_type}, {state})")
    click.echo(f"public key:  {public_path} (key hint {hint})")


def _warn_if_committable(private_path: str) -> None:
    """Say so when ``git add .`` would commit the private key."""
    from mbom._log import warn
    from mbom.capture._gitstatus import unignored_in_worktree

    repo = unignored_in_worktree(private_path)
    if repo is not None:
        warn(
            "%s is inside the git work tree %s and not ignored: `git add .` would commit the "
            "private key; add *.pem to %s, or keep keys outside the repository",
            private_path,
            repo.worktree,
            os.path.join(repo.worktree, ".gitignore"),
        )
