"""``python -m electrolyte_cli`` runs the ``electrolyte`` command."""

import sys

from . import main

sys.exit(main())
