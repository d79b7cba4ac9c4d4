"""The Docker sandbox that runs generated code: no network, non-root, bounded everything."""
