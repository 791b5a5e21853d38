"""Local stand-ins of outside services (wire-level fakes for the real SDK clients)."""
