"""Cent rounding and exact money arithmetic.

Prices are floats in the hot path (numpy arrays), but anything stored or summed as money is
a ``Decimal`` built from the float's shortest repr, so a P/L never drifts by a cent.
US venues reject sub-penny orders for prices >= $1, so order prices are rounded to the cent
after removing float noise: a value within 1e-6 of a whole cent *is* that cent.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
_NOISE = 1e-6


def _cents(x: float) -> float:
    return x * 100.0


def round_down_cent(x: float) -> float:
    """Largest whole-cent price <= x (after snapping values within 1e-6 of a cent)."""
    c = _cents(x)
    nearest = round(c)
    if abs(c - nearest) <= _NOISE * 100.0:
        return nearest / 100.0
    return math.floor(c) / 100.0


def round_up_cent(x: float) -> float:
    """Smallest whole-cent price >= x (after snapping values within 1e-6 of a cent)."""
    c = _cents(x)
    nearest = round(c)
    if abs(c - nearest) <= _NOISE * 100.0:
        return nearest / 100.0
    return math.ceil(c) / 100.0


def to_decimal(x: float | int | str | Decimal) -> Decimal:
    """Exact decimal of a price as it was written (shortest float repr, not binary expansion)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"non-finite money value {x!r}")
        return Decimal(repr(x))
    return Decimal(x)


def quantize_cents(x: Decimal) -> Decimal:
    """Round to the cent with banker's rounding (for reports, never for order prices)."""
    return x.quantize(CENT, rounding=ROUND_HALF_EVEN)


def fmt_decimal(x: Decimal) -> str:
    """Plain decimal string without exponent and without trailing zeros beyond cents."""
    q = x.normalize()
    exp = q.as_tuple().exponent
    if isinstance(exp, int) and exp > -2:
        q = q.quantize(CENT)
    return format(q, "f")
