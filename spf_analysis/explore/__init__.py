"""The scenario explorer (``make explore``): a local web app on the report's engine.

* :mod:`.engine` -- controls -> scenario file -> every output, on the functions of the report (tests call it);
* :mod:`.app` -- the Panel page, a thin layer over the engine;
* :mod:`.serve` -- ``python -m spf_analysis.explore``: ``panel serve`` on 127.0.0.1, ``PORT`` from the environment.
"""
