"""Live status and alerts: heartbeats and the alert log (``store``), which results raise
which alerts (``alerts``), where they go (``adapters``), the handlers' recording
(``watch``), the status view's rules (``status``) and the after-close summary
(``summary``)."""
