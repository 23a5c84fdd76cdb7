"""Analytic engine of the Social Protection Floor rapid assessment for Khyber Pakhtunkhwa.

All logic of the study lives here (pure, tested functions); the notebooks in
``notebooks/`` only narrate, set parameters, call these functions and show
figures. Paths come from :mod:`spf_analysis.config.paths`.
"""

__version__ = "0.1.0"

import sys as _sys

# jsonschema (under nbformat, papermill and nbconvert: every notebook run, every kernel that
# checks its parameters, the report step) imports rfc3987_syntax when it is installed (JupyterLab's
# requirements bring it, requirements-lab.txt), and that module builds a Lark grammar on import:
# 1.7 s of every such process (python -X importtime). Its one use is jsonschema's "iri" and
# "iri-reference" format checks, which no schema read here (nbformat's) uses; so it is left
# unimported (an import of it raises ImportError, which jsonschema treats as "not installed").
_sys.modules.setdefault("rfc3987_syntax", None)
