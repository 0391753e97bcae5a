"""`python -m engine.cli` runs the `storelens` command."""

import sys

from ._main import main

sys.exit(main())
