"""The ``mbom`` command: a thin door onto the library.

Subcommands live in their own modules and are imported only when invoked (or listed by
``--help``), and those modules import the library inside their functions, so ``mbom
--version`` starts without loading cyclonedx, sigstore or huggingface_hub.
"""

from __future__ import annotations

import importlib

import click

from mbom import __version__
from mbom.cli._errors import run_guarded
from mbom.errors import EXIT_CODES

#: command name -> "module:function" inside mbom.cli
COMMANDS: dict[str, str] = {
    "hash": "hash_cmd:hash_command",
    "generate": "generate_cmd:generate_command",
    "validate": "validate_cmd:validate_command",
    "inspect": "inspect_cmd:inspect_command",
    "export": "export_cmd:export_command",
    "keygen": "keygen_cmd:keygen_command",
    "sign": "sign_cmd:sign_command",
    "sign-model": "sign_cmd:sign_model_command",
    "publish": "publish_cmd:publish_command",
    "attach": "attach_cmd:attach_command",
    "verify": "verify_cmd:verify_command",
    "diff": "diff_cmd:diff_command",
    "log": "log_cmd:log_group",
    "prove": "prove_cmd:prove_command",
    "check-proof": "prove_cmd:check_proof_command",
    "lineage": "lineage_cmd:lineage_command",
    "audit": "audit_cmd:audit_command",
    "recover": "recover_cmd:recover_command",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, attribute = COMMANDS[cmd_name].split(":")
            module = importlib.import_module(f"mbom.cli.{module_name}")
            return getattr(module, attribute)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
)
@click.version_option(__version__, "-V", "--version", prog_name="mbom")
def cli() -> None:
    """Model Bill of Materials: capture, sign and verify what a model is made of."""


cli.help = (
    (cli.help or "")
    + "\n\nExit codes:\n\n\b\n"
    + "\n".join(f"{code} {meaning}" for code, meaning in EXIT_CODES)
)


def main() -> None:
    """Console-script entry point."""
    run_guarded(cli)
