"""Command line: ``python -m simlib check|list|report``."""

from simlib.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
