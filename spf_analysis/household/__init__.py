"""The household survey: processed schema, synthetic generator, PBS reader, protection gaps."""
