"""In-process emulation of the deployment: local adapters and the simulated trading day.

``stores`` holds the local twins of the AWS adapters (same contract suites); ``day`` drives a
whole session through the real Lambda handlers under moto with the Alpaca stand-in, from the
day's market (``bars``), the handlers loaded in-process (``handlers``) and the AWS services
under moto (``moto_aws``), and reports it (``result``).
"""
