"""Every command's help, walked (issue 14): path options say PATH/FILE (never TEXT), every option
is described, defaults are shown, repeatable options say so; and the README's exit-code table is
the code's own table, which matches what the commands do."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from mbom.attest.keys import write_key_pair
from mbom.cli.main import cli
from mbom.errors import EXIT_CODES, exit_code_table
from tests.helpers.cli import run_cli

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands() -> list[tuple[str, click.Command, click.Context]]:
    found = []
    root = cli.make_context("mbom", [], resilient_parsing=True)  # with its context_settings

    def walk(group: click.Group, ctx: click.Context, prefix: str) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            sub = click.Context(command, info_name=name, parent=ctx)
            if isinstance(command, click.Group):
                walk(command, sub, f"{prefix}{name} ")
            else:
                found.append((f"{prefix}{name}", command, sub))

    walk(cli, root, "")
    return found


COMMANDS = _commands()


@pytest.mark.parametrize(("name", "command", "ctx"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_help_names_values_defaults_and_repeats(
    name: str, command: click.Command, ctx: click.Context
) -> None:
    assert command.help, f"{name}: no description"
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        label = f"{name} {param.opts[0]}"
        assert param.help, f"{label}: not described"
        if not param.is_flag:
            metavar = param.make_metavar(ctx)
            assert "TEXT" not in metavar, f"{label}: metavar {metavar} (say PATH, FILE, NAME...)"
            assert not re.fullmatch(r"[A-Z]", metavar), f"{label}: one-letter metavar {metavar}"
        if param.multiple:
            assert "repeatable" in param.help.lower(), f"{label}: repeatable, but not said"
        default = param.get_default(ctx, call=False)
        unset = default is None or type(default).__name__ == "Sentinel"  # click's UNSET
        if not unset and default not in ((), "", False) and not param.is_flag:
            shown = param.get_help_record(ctx)
            assert shown is not None and "default" in shown[1], f"{label}: default not shown"


def test_readme_exit_code_table_is_the_codes_table() -> None:
    table = exit_code_table()
    assert table in README.read_text(), "README.md: regenerate with mbom.errors.exit_code_table()"
    assert [code for code, _ in EXIT_CODES] == [0, 1, 2, 3]
    top = run_cli("--help").stdout
    assert all(f"{code} " in top for code, _ in EXIT_CODES)


def test_exit_codes_are_what_the_table_says(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "w.bin").write_bytes(b"weights")
    bom = tmp_path / "bom.cdx.json"
    assert run_cli("generate", "--model", model, "--no-environment", "-o", bom).returncode == 0
    missing_key = run_cli("verify", model, "--bundle", bom, "--key", tmp_path / "absent.pub")
    assert missing_key.returncode == 2, missing_key.stderr  # a file named that is not there
    assert "absent.pub: no such file" in missing_key.stderr
    missing_bundle = run_cli("verify", model, "--bundle", tmp_path / "absent.sigstore.json")
    assert missing_bundle.returncode == 3, missing_bundle.stderr  # nothing to verify against
    assert "bundle not found" in missing_bundle.stderr and "mbom sign" in missing_bundle.stderr
    write_key_pair(tmp_path / "release", "ecdsa-p256")
    assert run_cli("sign", bom, "--key", tmp_path / "release.pem").returncode == 0
    no_trust = run_cli("verify", model, "--bundle", f"{bom}.sigstore.json")
    assert no_trust.returncode == 3, no_trust.stderr  # no trust material given
