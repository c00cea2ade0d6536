"""The one hierarchy of errors mbom raises.

Every error carries what a user needs to act on it (the path, the expected and actual value)
and the process exit code the CLI maps it to, so the CLI never has to guess:

* 1 -- a real "no": verification or policy failure (:class:`VerificationError`);
* 2 -- usage or input error: missing, unreadable or malformed input (:class:`InputError`);
* 3 -- could not evaluate: trust material or bundle missing (:class:`TrustMaterialError`).

:data:`EXIT_CODES` is the table itself: ``mbom --help`` prints it and the README's table is
:func:`exit_code_table` (``tests/test_cli_help.py`` checks both, and the behaviour).
"""

from __future__ import annotations

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (0, "success / verified"),
    (
        1,
        "verification or policy failure: anything about the model, bundle, journal or registry "
        "that does not hold (a full report is still written)",
    ),
    (
        2,
        "usage or input error: a bad flag, malformed input, or a file named that is missing or "
        "unreadable, key files included (one line on stderr, never a traceback, nothing written)",
    ),
    (
        3,
        "could not evaluate: no trust material given (no --key, identity or policy trust), or a "
        "bundle named that does not exist",
    ),
)


def exit_code_table() -> str:
    """:data:`EXIT_CODES` as the Markdown table the README carries."""
    rows = "".join(f"| {code} | {meaning} |\n" for code, meaning in EXIT_CODES)
    return "| exit code | meaning |\n|---|---|\n" + rows


class MbomError(Exception):
    """Base class: a failure with a one-line, user-facing message."""

    exit_code: int = 2

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


class InputError(MbomError):
    """Input the user gave cannot be used: missing path, bad flag value, malformed file."""

    exit_code = 2


class UnreadableFileError(InputError):
    """A file exists but cannot be opened or read (permissions, I/O error, special file)."""


class SymlinkEscapeError(InputError):
    """A symbolic link inside a hashed tree points outside that tree's root."""

    def __init__(self, path: str, target: str) -> None:
        super().__init__(
            f"{path}: symbolic link to {target!r} leaves the root; refusing", path=path
        )
        self.target = target


class ObjectChangedError(UnreadableFileError):
    """A file or object changed while it was hashed (size or version differs at the end).

    An input error for ``hash`` / ``generate`` (exit 2, naming it): the digest would describe
    bytes that no longer exist. ``expected`` / ``actual`` are what the listing said and what
    the object was at the end of the read.
    """

    def __init__(
        self, message: str, *, path: str | None = None, expected: str = "", actual: str = ""
    ) -> None:
        super().__init__(message, path=path)
        self.expected, self.actual = expected, actual


class RemoteAccessError(InputError):
    """A remote location cannot be listed or read: credentials, permissions, network.

    The message names the location (credentials removed) and the reason in one line.
    """


class MalformedFileError(InputError):
    """A file's content does not parse as the format it claims to be."""


class VerificationError(MbomError):
    """Something was checked and found not to hold (exit 1)."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        expected: str | None = None,
        actual: str | None = None,
        check: str | None = None,
    ) -> None:
        super().__init__(message, path=path)
        self.expected = expected
        self.actual = actual
        self.check = check


class TrustMaterialError(MbomError):
    """Verification could not be evaluated: trust material or a bundle is missing (exit 3)."""

    exit_code = 3
