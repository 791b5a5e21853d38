"""Issue 11: a plan is placed only in its own session and only while it is fresh.

``now`` is the processing time (the executor's clock); the signal bar of ``make_plan()``
starts at 10:40 New York and closes at 10:41 (``CLOSE``), the earliest a plan can exist.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from llm_advisor.core.config import AppSettings, settings_from_env
from llm_advisor.core.errors import ConfigError
from llm_advisor.execution.executor import execute_plan, plan_age

from .conftest import CLOSE, DAY, SIGNAL, FakeBroker, make_plan

LIMIT = timedelta(seconds=90)


def _run(plan: Any, now: Any, broker: FakeBroker, repo: Any, **kw: Any) -> Any:
    return execute_plan(plan, now, broker, repo, max_age=LIMIT, **kw)


def test_a_fresh_plan_is_placed(broker: FakeBroker, repo: Any) -> None:
    plan = make_plan()
    done = _run(plan, CLOSE + timedelta(seconds=3), broker, repo)
    assert (done.outcome, done.reason) == ("submitted", None)
    assert broker.submits == 1
    assert repo.get_order(plan.client_order_id)["status"] == "accepted"


def test_age_exactly_at_the_limit_is_still_placed(broker: FakeBroker, repo: Any) -> None:
    done = _run(make_plan(), CLOSE + LIMIT, broker, repo)
    assert done.outcome == "submitted" and broker.submits == 1


def test_a_plan_older_than_the_limit_is_refused_and_recorded(broker: FakeBroker, repo: Any) -> None:
    """Delivered 30 minutes late (the issue's 1.16 % fill): refused, never sent."""
    plan = make_plan()
    now = CLOSE + timedelta(minutes=30)
    assert plan_age(plan, now) == timedelta(minutes=30)
    done = _run(plan, now, broker, repo)
    assert (done.outcome, done.reason, done.status) == ("stale", "stale_age", "refused_stale_age")
    assert broker.submits == 0
    row = repo.get_order(plan.client_order_id)
    assert row["status"] == "refused_stale_age"
    assert [h[0] for h in row["history"]] == ["refused_stale_age"]


def test_one_second_over_the_limit_is_refused(broker: FakeBroker, repo: Any) -> None:
    done = _run(make_plan(), CLOSE + LIMIT + timedelta(seconds=1), broker, repo)
    assert done.reason == "stale_age" and broker.submits == 0


def test_yesterdays_plan_at_todays_time_is_refused_as_another_session(
    broker: FakeBroker, repo: Any
) -> None:
    """A DLQ redrive the next morning: the plan is a day old but, by the clock of the day
    only, "one minute" old - the session date decides, not the time of day."""
    plan = make_plan(SIGNAL - timedelta(days=1))  # Mon 2024-03-11 10:40
    assert plan.session_date == "2024-03-11"
    done = _run(plan, CLOSE + timedelta(seconds=3), broker, repo)
    assert (done.outcome, done.reason) == ("stale", "stale_session")
    assert broker.submits == 0
    assert repo.get_order(plan.client_order_id)["status"] == "refused_stale_session"


def test_session_is_the_new_york_date_not_the_utc_date(broker: FakeBroker, repo: Any) -> None:
    """At 20:05 New York it is already the next day in UTC; the session is still today's
    (the age limit refuses it, but as stale by age, not as another session)."""
    plan = make_plan()
    late = CLOSE.replace(hour=0, minute=5) + timedelta(days=1)  # 2024-03-13 00:05Z = 20:05 NY
    assert _run(plan, late, broker, repo).reason == "stale_age"


def test_todays_kill_switch_blocks_a_plan_whose_own_session_switch_is_off(
    broker: FakeBroker, repo: Any
) -> None:
    """The issue: with today's switch raised, yesterday's plan still went through."""
    plan = make_plan(SIGNAL - timedelta(days=1))
    asked: list[date] = []

    def switch(day: date) -> bool:
        asked.append(day)
        return day == DAY  # raised today only

    done = _run(plan, CLOSE + timedelta(seconds=3), broker, repo, kill_switch=switch)
    assert (done.outcome, done.status) == ("blocked", "blocked_kill_switch")
    assert broker.submits == 0
    assert DAY in asked


def test_the_plans_own_session_switch_still_blocks(broker: FakeBroker, repo: Any) -> None:
    plan = make_plan()
    done = _run(plan, CLOSE + timedelta(seconds=3), broker, repo, kill_switch=lambda d: True)
    assert done.outcome == "blocked" and broker.submits == 0


def test_a_late_redelivery_of_a_placed_order_is_not_refused(broker: FakeBroker, repo: Any) -> None:
    """Staleness guards new orders only: an order the broker already has stays recorded as
    placed (its row must not turn into a refusal)."""
    plan = make_plan()
    _run(plan, CLOSE + timedelta(seconds=2), broker, repo)
    again = _run(plan, CLOSE + timedelta(hours=2), broker, repo)
    assert again.outcome == "already_placed" and broker.submits == 1
    assert repo.get_order(plan.client_order_id)["status"] == "accepted"


def test_the_row_is_stamped_with_recorded_at_but_judged_on_now(
    broker: FakeBroker, repo: Any
) -> None:
    """The handler stamps rows with the SentTimestamp; a fresh SentTimestamp must not make
    a late delivery look fresh."""
    plan = make_plan()
    done = _run(plan, CLOSE + timedelta(minutes=5), broker, repo, recorded_at=CLOSE)
    assert done.reason == "stale_age"
    assert repo.get_order(plan.client_order_id)["updated_at"] == CLOSE


def test_naive_now_is_refused_with_the_field_named(broker: FakeBroker, repo: Any) -> None:
    with pytest.raises(ValueError, match="now="):
        _run(make_plan(), CLOSE.replace(tzinfo=None), broker, repo)


# ---------------------------------------------------------------- the setting
def test_setting_defaults_to_90_seconds() -> None:
    assert settings_from_env({}).max_plan_age_seconds == 90
    assert settings_from_env({"ADVISOR_MAX_PLAN_AGE_SECONDS": "30"}).max_plan_age_seconds == 30


@pytest.mark.parametrize("value", ["5", "601", "ninety", "1.5"])
def test_a_bad_setting_is_one_line_naming_the_variable_and_value(value: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_from_env({"ADVISOR_MAX_PLAN_AGE_SECONDS": value})
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"ADVISOR_MAX_PLAN_AGE_SECONDS={value!r}")


def test_out_of_range_setting_states_the_range() -> None:
    with pytest.raises(ConfigError, match=r"allowed range 10\.\.600"):
        settings_from_env({"ADVISOR_MAX_PLAN_AGE_SECONDS": "0"})


def test_template_passes_the_setting_to_the_executor_within_its_range() -> None:
    from pathlib import Path

    from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

    root = Path(__file__).resolve().parents[2]
    t = cfn_yaml.load(str(root / "template.yaml"))
    param = t["Parameters"]["MaxPlanAgeSeconds"]
    env = t["Resources"]["TradeExecutorFunction"]["Properties"]["Environment"]["Variables"]
    assert env["ADVISOR_MAX_PLAN_AGE_SECONDS"] == {"Ref": "MaxPlanAgeSeconds"}
    field = AppSettings.model_fields["max_plan_age_seconds"]
    bounds = {k: getattr(m, k) for m in field.metadata for k in ("ge", "le") if hasattr(m, k)}
    assert (param["MinValue"], param["MaxValue"]) == (bounds["ge"], bounds["le"])
    assert str(param["Default"]) == str(field.default)
