"""Market data: validated bar files on disk and a deterministic synthetic market."""
