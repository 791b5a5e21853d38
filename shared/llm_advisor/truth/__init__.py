"""The daily truth report: the live day against a replay of the same day (issue 18).

Live and replay run the same engine, so every difference between what the account did and
what the model would have done has a cause that the records can name: a late or
quarantined bar, a tick that did not run, a stale plan the executor refused, a partial fill,
a manual close at the broker, slippage, fees. ``gather`` reads the live records, ``model``
replays the day with the same inputs, ``diff`` (pure) lists the divergences with their
causes, ``store`` keeps one row per day and one per divergence, ``alert`` says so when a day
diverges beyond the thresholds, and ``service`` wires them for the CLI and the Lambda.
"""
