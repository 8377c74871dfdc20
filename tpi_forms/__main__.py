"""``python -m tpi_forms`` runs the ``tpi-forms`` command line."""

import sys

from .cli import main

sys.exit(main())
