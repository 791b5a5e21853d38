"""Error hierarchy named by how the system reacts, not by where the error came from.

A caller decides what to do from the class alone: halt the process, reject one input and
carry on, retry later, or degrade the LLM to neutral. User mistakes (bad settings, bad files,
bad CLI arguments) are ``UserError`` and are printed as one clear line, never a traceback.
"""

from __future__ import annotations


class AdvisorError(Exception):
    """Base class of every error this package raises on purpose."""


class UserError(AdvisorError):
    """The user gave something invalid; the message names the field and the value."""


class ConfigError(UserError):
    """A setting is missing or outside its allowed range: fail at start-up."""


class DataError(UserError):
    """An input file or record is malformed; the message names the file, line and reason."""


class DatabaseUnavailableError(UserError):
    """The database did not answer in time (down, unreachable, refused). A user error at the
    command line (a wrong URL usually is) and a 503 in the API (the client may retry)."""


class RetryableError(AdvisorError):
    """A transient outside failure (throttling, 5xx, timeout): retry with backoff."""


class ConflictError(AdvisorError):
    """An optimistic-concurrency check failed (state was changed by another writer)."""


class RejectedError(AdvisorError):
    """An order or request was refused by the counterparty; record it and continue."""


class LLMError(AdvisorError):
    """The LLM call failed or answered nonsense: the caller falls back to neutral."""
