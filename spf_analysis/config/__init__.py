"""Configuration: paths, the one YAML reader, errors, notebook and run parameters."""
