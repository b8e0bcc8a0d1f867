"""``python -m crawler.demo``: same as ``python -m crawler.demo.server``."""

import sys

from .server import main

sys.exit(main())
