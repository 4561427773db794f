"""Command line: ``python -m simlib check|list|run|sweep|report``."""

from simlib.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
