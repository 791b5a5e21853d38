"""Core: settings, clock, calendar, errors, money, domain models and the ports."""
