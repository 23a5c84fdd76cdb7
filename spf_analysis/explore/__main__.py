"""``python -m spf_analysis.explore``: serve the scenario explorer (:mod:`spf_analysis.explore.serve`)."""

import sys

from spf_analysis.explore.serve import main

sys.exit(main())
