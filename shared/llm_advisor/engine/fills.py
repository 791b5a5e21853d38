"""The spec's simulated fill rules, shared by the replay broker and the Alpaca stand-in.

One function per rule so the in-process simulated broker and the HTTP stand-in of Alpaca
cannot fill the same bar differently (the parity test between replay and the local day
depends on it).
"""

from __future__ import annotations

from llm_advisor.core.money import round_down_cent, round_up_cent


def entry_fill_price(open_price: float, side_sign: int, slippage_bps: float = 0.0) -> float:
    """Market entry at the bar's open, moved against the trader by the slippage.

    With slippage the price is rounded to the cent against the trader (up for a buy, down
    for a sell); with zero slippage the open is used as printed.
    """
    if slippage_bps == 0.0:
        return open_price
    px = open_price * (1.0 + side_sign * slippage_bps / 10_000.0)
    return round_up_cent(px) if side_sign > 0 else round_down_cent(px)


def exit_fill(
    side_sign: int, stop: float, target: float, o: float, h: float, low: float
) -> tuple[float, str] | None:
    """Bracket exit on one bar, or None if neither leg fills.

    Order of checks (long; short mirrors): a gap through the stop exits at the open; else a
    low at or below the stop exits at the stop; else a high at or above the target exits at
    the target, or at the open if the bar opened beyond it (a limit fills at the better
    price). When both legs lie inside one bar the stop wins (conservative).
    """
    if side_sign > 0:
        if o <= stop:
            return o, "stop"
        if low <= stop:
            return stop, "stop"
        if h >= target:
            return (o, "target") if o >= target else (target, "target")
        return None
    if o >= stop:
        return o, "stop"
    if h >= stop:
        return stop, "stop"
    if low <= target:
        return (o, "target") if o <= target else (target, "target")
    return None


def bracket_prices(
    ref: float, risk_per_share: float, rr: float, side_sign: int
) -> tuple[float, float]:
    """(stop, target) rounded to the cent: a long's both round down, a short's both up.

    That puts the stop away from the entry and the target toward it on either side.
    """
    if side_sign > 0:
        return round_down_cent(ref - risk_per_share), round_down_cent(ref + rr * risk_per_share)
    return round_up_cent(ref + risk_per_share), round_up_cent(ref - rr * risk_per_share)
