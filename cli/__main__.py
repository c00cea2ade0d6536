"""``python -m mbom.cli``: the same as the ``mbom`` console script."""

from mbom.cli.main import main

main()
