"""`python -m faechain` runs the `fae` command line."""

import sys

from faechain.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
