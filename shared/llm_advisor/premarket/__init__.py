"""Premarket pipeline: daily bias, news and HTF snapshot -> the day's premarket context.

Kept import-light on purpose: ``premarket.bias.model`` must load with numpy alone (the
Lambda layer and the clean-environment test import nothing else).
"""
