"""Analytic engine of the Social Protection Floor rapid assessment for Khyber Pakhtunkhwa.

All logic of the study lives here (pure, tested functions); the notebooks in
``notebooks/`` only narrate, set parameters, call these functions and show
figures. Paths come from :mod:`spf_analysis.config.paths`.
"""

__version__ = "0.1.0"
