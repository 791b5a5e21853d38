"""The portfolio REST API: one Powertools resolver serving Lambda and the local server."""
