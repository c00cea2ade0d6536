"""Where the CLI gets a private key's passphrase: MBOM_KEY_PASSPHRASE, else a terminal prompt.

The library takes passphrases as arguments; only the CLI looks at the environment and the
terminal, so scripted runs (no terminal) never hang on a prompt.
"""

from __future__ import annotations

import os
import sys

import click

from mbom.attest.keys import PASSPHRASE_ENV


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def new_key_passphrase() -> str | None:
    """The passphrase for a new key, or None (the caller then warns about an unencrypted key)."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not _interactive():
        return None
    entered = click.prompt(
        "Passphrase for the new private key (empty for none)",
        default="",
        show_default=False,
        hide_input=True,
        confirmation_prompt=True,
        err=True,
    )
    return entered or None


def load_key(path: str):  # -> mbom.attest.keys.SigningKey
    """Load a signing key, prompting for its passphrase on a terminal when it is encrypted."""
    from mbom.attest.keys import PassphraseRequired, load_signing_key
    from mbom.errors import InputError

    try:
        return load_signing_key(path, os.environ.get(PASSPHRASE_ENV) or None)
    except PassphraseRequired:
        if not _interactive():
            raise InputError(
                f"{path}: the private key is encrypted; set {PASSPHRASE_ENV} or run on a terminal"
            ) from None
    secret = click.prompt(f"Passphrase for {path}", hide_input=True, err=True)
    return load_signing_key(path, secret)
