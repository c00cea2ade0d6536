"""``python -m mbom.cli``: the same as the ``mbom`` console script."""

from mbom.cli._entry import console

console()
