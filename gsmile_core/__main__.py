"""`python -m gsmile_core` runs the `gsmile` command."""

import sys

from .cli import main

sys.exit(main())
