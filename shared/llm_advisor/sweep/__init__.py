"""Parameter research: grids, random searches and walk-forward over replays.

Every trial is one pure function (``trial.run_trial``: settings + data location -> result),
so the local process pool, the in-process loop and the Step Functions Distributed Map
worker produce the same numbers; the reduction (``summary``), the statistics (``metrics``)
and the report (``report``) never know which executor ran the trials.
"""
