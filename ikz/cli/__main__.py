"""Run the CLI as `python -m cli`."""

from ikz.cli.main import main

main()
