"""News for the premarket context: sources behind a port, selection, summaries."""
