"""Build the brochure. Run `python make_brochure.py --help` for the commands."""

import sys

from brochure.cli import main

if __name__ == "__main__":
    sys.exit(main())
