"""Raw data: validated readers and schemas, the manifest, provenance, census and scheme tables."""
