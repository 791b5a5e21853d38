"""template.yaml says what the issue asks: schedules in New York time, no tick retries,
a DLQ with a long enough visibility timeout, capped concurrency and narrow IAM."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    data: dict[str, Any] = cfn_yaml.load(str(ROOT / "template.yaml"))
    return data


def res(t: dict[str, Any], name: str) -> dict[str, Any]:
    props: dict[str, Any] = t["Resources"][name]["Properties"]
    return props


def statements(fn: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for pol in fn.get("Policies", []):
        out.extend(pol.get("Statement", []))
    return out


def schedule(fn: dict[str, Any]) -> dict[str, Any]:
    (ev,) = [e for e in fn["Events"].values() if e["Type"] == "ScheduleV2"]
    props: dict[str, Any] = ev["Properties"]
    return props


def test_every_schedule_runs_in_new_york_time(template: dict[str, Any]) -> None:
    found = 0
    for r in template["Resources"].values():
        for ev in (r.get("Properties", {}).get("Events") or {}).values():
            if ev["Type"] == "ScheduleV2":
                assert ev["Properties"]["ScheduleExpressionTimezone"] == "America/New_York"
                assert "<aws.scheduler.scheduled-time>" in ev["Properties"]["Input"]
                found += 1
    assert found >= 5


def test_tick_every_minute_of_session_hours_without_retries(template: dict[str, Any]) -> None:
    fn = res(template, "LiveTickFunction")
    s = fn["Events"]["EveryMinute"]["Properties"]
    assert s["ScheduleExpression"] == "cron(* 9-15 ? * MON-FRI *)"
    assert s["RetryPolicy"]["MaximumRetryAttempts"] == 0
    assert fn["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    assert fn["ReservedConcurrentExecutions"] == 1
    assert fn["Timeout"] < 60


def test_tick_also_runs_at_the_close_to_process_the_last_bar(template: dict[str, Any]) -> None:
    """Bar 15:59 completes at 16:00, which ``* 9-15`` never reaches; without this tick the
    session's last bar and the engine's end of session would never run in AWS."""
    ev = res(template, "LiveTickFunction")["Events"]["SessionClose"]["Properties"]
    assert ev["ScheduleExpression"] == "cron(0 16 ? * MON-FRI *)"
    assert ev["ScheduleExpressionTimezone"] == "America/New_York"
    assert ev["RetryPolicy"]["MaximumRetryAttempts"] == 0


def test_premarket_and_analysis_schedules(template: dict[str, Any]) -> None:
    assert schedule(res(template, "PremarketFunction"))["ScheduleExpression"] == (
        "cron(30 8 ? * MON-FRI *)"
    )
    assert schedule(res(template, "MarketAnalysisFunction"))["ScheduleExpression"] == (
        "cron(0/5 9-15 ? * MON-FRI *)"
    )


def test_queue_has_dlq_and_visibility_at_least_six_executor_timeouts(
    template: dict[str, Any],
) -> None:
    q = res(template, "SignalQueue")
    executor = res(template, "TradeExecutorFunction")
    assert q["VisibilityTimeout"] >= 6 * executor["Timeout"]
    assert q["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["SignalDeadLetterQueue", "Arn"]
    }
    assert 1 <= q["RedrivePolicy"]["maxReceiveCount"] <= 10
    (ev,) = executor["Events"].values()
    assert ev["Type"] == "SQS"
    assert ev["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 2 <= ev["Properties"]["ScalingConfig"]["MaximumConcurrency"] <= 5
    assert "ReservedConcurrentExecutions" not in executor


def test_dlq_and_errors_are_alarmed(template: dict[str, Any]) -> None:
    alarms = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == ("AWS::CloudWatch::Alarm")
    ]
    dims = [json.dumps(a.get("Dimensions", [])) for a in alarms]  # metric math: none
    assert any("SignalDeadLetterQueue" in d for d in dims)
    for fn in ("LiveTickFunction", "TradeExecutorFunction", "PositionMonitorFunction"):
        assert any(fn in d for d in dims), fn


def test_state_table_on_demand_with_ttl_and_pitr(template: dict[str, Any]) -> None:
    t = res(template, "StateTable")
    assert t["BillingMode"] == "PAY_PER_REQUEST"
    assert t["TimeToLiveSpecification"]["Enabled"] is True
    assert t["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_bucket_versioned_with_lifecycle(template: dict[str, Any]) -> None:
    b = res(template, "ArchiveBucket")
    assert b["VersioningConfiguration"]["Status"] == "Enabled"
    assert b["LifecycleConfiguration"]["Rules"]


def test_bedrock_only_for_the_configured_model_and_only_where_needed(
    template: dict[str, Any],
) -> None:
    for name, r in template["Resources"].items():
        if r["Type"] != "AWS::Serverless::Function":
            continue
        for st in statements(r["Properties"]):
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if any(a.startswith("bedrock:") for a in actions):
                text = json.dumps(st["Resource"])
                assert '"*"' not in text
                if name == "RagExportFunction":  # embeddings only, one model
                    assert actions == ["bedrock:InvokeModel"]
                    assert "amazon.titan-embed-text-v2:0" in text
                    continue
                assert name in ("MarketAnalysisFunction", "PremarketFunction"), name
                assert "${BedrockFoundationModelId}" in text
                assert "${BedrockModelId}" in text


def test_no_function_statement_uses_wildcard_actions_or_resources(
    template: dict[str, Any],
) -> None:
    for name, r in template["Resources"].items():
        if r["Type"] != "AWS::Serverless::Function":
            continue
        for st in statements(r["Properties"]):
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            assert all("*" not in a for a in actions), (name, actions)
            assert st["Resource"] != "*", name


def test_only_the_tick_publishes_plans_and_only_the_executor_consumes(
    template: dict[str, Any],
) -> None:
    senders = []
    for name, r in template["Resources"].items():
        if r["Type"] == "AWS::Serverless::Function":
            for st in statements(r["Properties"]):
                acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                if "sqs:SendMessage" in acts:
                    senders.append(name)
    assert senders == ["LiveTickFunction"]


def test_api_throttled_with_cors_for_the_configured_origin(template: dict[str, Any]) -> None:
    api = res(template, "PortfolioApi")
    assert api["Cors"]["AllowOrigin"] == {"Fn::Sub": "'${CorsOrigin}'"}
    ms, chat = api["MethodSettings"]  # the whole API, then POST /api/chat's own limit
    assert ms["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert (chat["ResourcePath"], chat["HttpMethod"]) == ("/~1api~1chat", "POST")
    assert template["Parameters"]["ApiRateLimit"]["Default"] == pytest.approx(100 / 60, 0.01)
    plan = template["Resources"]["PortfolioApiUsagePlan"]
    assert plan["Condition"] == "UseApiKey"
    fn = res(template, "PortfolioApiFunction")
    assert fn["CodeUri"] == "functions/portfolio_api/"


def test_every_function_code_and_event_file_exists(template: dict[str, Any]) -> None:
    for r in template["Resources"].values():
        if r["Type"] == "AWS::Serverless::Function":
            code = ROOT / r["Properties"]["CodeUri"]
            name = code.name
            if name != "portfolio_api":
                assert (code / "app.py").is_file(), code
            assert (ROOT / "events" / f"{name}.json").is_file(), name
    assert (ROOT / "statemachine" / "premarket.asl.json").is_file()


def test_state_machine_has_map_retries_and_catch() -> None:
    asl = json.loads((ROOT / "statemachine" / "premarket.asl.json").read_text())
    states = asl["States"]
    assert states["Snapshots"]["Type"] == "Map"
    for name in ("GatherBias", "Snapshots", "Persist", "Archive"):
        assert states[name]["Catch"][0]["Next"] == "RecordFailure"
    assert states["GatherBias"]["Retry"]
    assert states["RecordFailure"]["Resource"] == "arn:aws:states:::dynamodb:putItem"


def test_layers_pin_lambda_compatible_numpy_and_pandas_and_skip_boto() -> None:
    req = (ROOT / "layers" / "deps" / "requirements.txt").read_text()
    assert "numpy>=1.26,<2.3" in req
    assert "pandas>=2.2,<2.3.3" in req
    assert "\nboto3" not in req
    assert "rm -rf boto3" in (ROOT / "layers" / "deps" / "Makefile").read_text()


@pytest.mark.slow
def test_sam_validate_passes() -> None:
    """The same check `make sam-validate` runs (creates .sam-venv on first use)."""
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "sam.sh"), "validate"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


# ------------------------------------------------------------------ review fixes: API access

API_SECRET_REFS = ('"ApiDatabaseSecret"', '"ExistingApiDatabaseSecretArn"')
MASTER_SECRET_REFS = ('"DatabaseSecret"', '"ExistingDatabaseSecretArn"')
# How the created-database stack resolves the intrinsics the environment uses.
RESOLVED = {
    "ApiDatabaseSecret": "arn:api-secret",
    "DatabaseSecret": "arn:master-secret",
    "DatabaseProxy.Endpoint": "proxy.internal",
}


def resolve(value: Any, params: dict[str, Any]) -> Any:
    """Enough of CloudFormation for env values: Ref, Fn::GetAtt, Fn::If on CreateDatabase."""
    if isinstance(value, dict):
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return params.get(arg, RESOLVED.get(arg, f"<{arg}>"))
        if fn == "Fn::GetAtt":
            return RESOLVED[".".join(arg)]
        if fn == "Fn::If":
            assert arg[0] == "CreateDatabase", arg
            return resolve(arg[1], params)
        raise AssertionError(fn)
    return value


def function_env(t: dict[str, Any], name: str) -> dict[str, Any]:
    env = dict(t["Globals"]["Function"]["Environment"]["Variables"])
    env.update(res(t, name).get("Environment", {}).get("Variables", {}))
    params = {k: v.get("Default") for k, v in t["Parameters"].items()}
    return {k: str(resolve(v, params)) for k, v in env.items()}


def secret_resources(fn: dict[str, Any]) -> str:
    return json.dumps(
        [
            st["Resource"]
            for st in statements(fn)
            if "secretsmanager:GetSecretValue" in json.dumps(st["Action"])
        ]
    )


def test_api_function_environment_is_what_the_api_settings_read(
    template: dict[str, Any],
) -> None:
    from llm_advisor.api.settings import ApiSettings

    raw = res(template, "PortfolioApiFunction")["Environment"]["Variables"]
    assert "ADVISOR_CORS_ORIGIN" not in raw
    assert raw["ADVISOR_CORS_ORIGINS"] == {"Ref": "CorsOrigin"}
    settings = ApiSettings.from_env(function_env(template, "PortfolioApiFunction"))
    assert settings.cors_origins == (template["Parameters"]["CorsOrigin"]["Default"],)
    assert settings.db_secret_id == "arn:api-secret"
    assert settings.db_host == "proxy.internal"  # the RDS Proxy, like the writers
    assert settings.db_name == "advisor"


@pytest.mark.parametrize(
    ("origin", "ok"),
    [
        ("https://portfolio.example.com", True),
        ("http://localhost:8000", True),
        ("*", False),
        ("https://portfolio.example.com/app", False),
        ("https://a.example.com,https://b.example.com", False),
        ("portfolio.example.com", False),
    ],
)
def test_cors_origin_parameter_takes_one_website_origin(
    template: dict[str, Any], origin: str, ok: bool
) -> None:
    import re

    from llm_advisor.api.settings import parse_origins

    pattern = template["Parameters"]["CorsOrigin"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, origin)) is ok
    if ok:
        assert parse_origins(origin) == (origin,)


def test_api_function_reads_only_the_read_only_secret(template: dict[str, Any]) -> None:
    fn = res(template, "PortfolioApiFunction")
    assert fn["Environment"]["Variables"]["ADVISOR_DB_SECRET_ID"] == {
        "Fn::If": [
            "CreateDatabase",
            {"Ref": "ApiDatabaseSecret"},
            {"Ref": "ExistingApiDatabaseSecretArn"},
        ]
    }
    text = secret_resources(fn)
    assert all(r in text for r in API_SECRET_REFS)
    assert not any(r in text for r in MASTER_SECRET_REFS)
    assert "AlpacaSecretName" not in json.dumps(statements(fn))
    for st in statements(fn):
        assert st["Action"] == "secretsmanager:GetSecretValue", st


def test_api_secret_is_generated_in_the_shape_the_api_reads(template: dict[str, Any]) -> None:
    secret = template["Resources"]["ApiDatabaseSecret"]
    assert secret["Condition"] == "CreateDatabase"
    gen = secret["Properties"]["GenerateSecretString"]
    body = json.loads(gen["SecretStringTemplate"])
    assert body["username"] == "llm_advisor_api"
    assert (
        body["username"]
        != json.loads(
            res(template, "DatabaseSecret")["GenerateSecretString"]["SecretStringTemplate"]
        )["username"]
    )
    assert (body["dbname"], body["port"], gen["GenerateStringKey"]) == ("advisor", 5432, "password")
    # An existing database must come with its own API login, never the master's.
    (rule,) = template["Rules"].values()
    assert "ExistingDatabaseSecretArn" in json.dumps(rule["RuleCondition"])
    assert "ExistingApiDatabaseSecretArn" in json.dumps(rule["Assertions"])


def test_writers_cannot_read_the_api_secret(template: dict[str, Any]) -> None:
    readers = set()
    for name, r in template["Resources"].items():
        if r["Type"] == "AWS::Serverless::Function" and any(
            ref in secret_resources(r["Properties"]) for ref in API_SECRET_REFS
        ):
            readers.add(name)
    assert readers == {"PortfolioApiFunction", "DatabaseBootstrapFunction"}


def test_proxy_accepts_the_api_login(template: dict[str, Any]) -> None:
    auth = res(template, "DatabaseProxy")["Auth"]
    assert {json.dumps(a["SecretArn"]) for a in auth} == {
        json.dumps({"Ref": "DatabaseSecret"}),
        json.dumps({"Ref": "ApiDatabaseSecret"}),
    }
    assert all(a["AuthScheme"] == "SECRETS" for a in auth)
    (policy,) = res(template, "DatabaseProxyRole")["Policies"]
    (st,) = policy["PolicyDocument"]["Statement"]
    assert st["Resource"] == [{"Ref": "DatabaseSecret"}, {"Ref": "ApiDatabaseSecret"}]


def test_bootstrap_custom_resource_runs_after_the_database(template: dict[str, Any]) -> None:
    cr = template["Resources"]["DatabaseBootstrap"]
    assert cr["Type"] == "Custom::DatabaseBootstrap"
    props = cr["Properties"]
    assert props["ServiceToken"] == {"Fn::GetAtt": ["DatabaseBootstrapFunction", "Arn"]}
    assert props["DatabaseReady"]["Fn::If"][1] == {"Ref": "DatabaseProxyTargetGroup"}
    assert props["Host"]["Fn::If"][1] == {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}
    assert props["MasterSecretId"] == {
        "Fn::If": [
            "CreateDatabase",
            {"Ref": "DatabaseSecret"},
            {"Ref": "ExistingDatabaseSecretArn"},
        ]
    }
    assert props["ApiSecretId"] == {
        "Fn::If": [
            "CreateDatabase",
            {"Ref": "ApiDatabaseSecret"},
            {"Ref": "ExistingApiDatabaseSecretArn"},
        ]
    }
    assert props["AppLayerVersion"] == {"Ref": "AppLayer"}  # new library -> migrations rerun
    assert cr["DependsOn"] == "DatabaseBootstrapLogGroup"
    fn = res(template, "DatabaseBootstrapFunction")
    assert fn["CodeUri"] == "functions/db_bootstrap/"
    assert fn["Timeout"] < props["ServiceTimeout"] <= 3600
    assert "Events" not in fn
    (st,) = statements(fn)  # only the two database secrets, only read
    assert st["Action"] == "secretsmanager:GetSecretValue"
    assert len(st["Resource"]) == 2
    assert all(r in json.dumps(st["Resource"]) for r in API_SECRET_REFS + MASTER_SECRET_REFS)


def _render(template_text: str) -> Any:
    """A gateway response template with API Gateway's variables filled in, parsed."""
    text = template_text.replace("$context.error.messageString", '"Missing Authentication Token"')
    for var in ("$context.requestId", "$context.error.responseType"):
        text = text.replace(var, "X")
    assert "$" not in text, text
    return json.loads(text)


def test_gateway_responses_are_json_404_and_carry_cors(template: dict[str, Any]) -> None:
    gw = res(template, "PortfolioApi")["GatewayResponses"]
    missing = gw["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["StatusCode"] == 404
    body = _render(missing["ResponseTemplates"]["application/json"])
    assert body["error"] == "not_found" and body["status"] == 404
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"):
        headers = gw[kind]["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == {"Fn::Sub": "'${CorsOrigin}'"}, kind
        body = _render(gw[kind]["ResponseTemplates"]["application/json"])
        assert {"error", "message", "request_id"} <= set(body), kind


def test_api_is_private_unless_chosen_otherwise(template: dict[str, Any]) -> None:
    """RequireApiKey defaults to true, in the template and in every samconfig stage, and a
    browser may send the key (x-api-key is an allowed CORS header)."""
    import tomllib

    assert template["Parameters"]["RequireApiKey"]["Default"] == "true"
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    for stage in ("dev", "prod"):
        overrides = config[stage]["deploy"]["parameters"]["parameter_overrides"]
        assert "RequireApiKey=false" not in overrides, stage
    allowed = res(template, "PortfolioApi")["Cors"]["AllowHeaders"].strip("'").split(",")
    assert "x-api-key" in [h.strip().lower() for h in allowed]
    key = template["Resources"]["PortfolioApiKey"]
    assert key["Condition"] == "UseApiKey"


def test_analyst_parameter_accepts_exactly_the_registry_names_and_chains(
    template: dict[str, Any],
) -> None:
    import re

    from llm_advisor.analysis.providers import PROVIDER_NAMES, chain_pattern

    param = template["Parameters"]["Analyst"]
    assert param["AllowedPattern"] == chain_pattern()  # generated from the one list
    pattern = re.compile(param["AllowedPattern"])
    for name in PROVIDER_NAMES:
        assert pattern.fullmatch(name), name
    assert pattern.fullmatch("bedrock,anthropic,openai,rules")
    assert pattern.fullmatch(param["Default"])
    for bad in ("gpt", "Bedrock", "bedrock,", ",rules", "bedrock rules", "bedrock,,rules"):
        assert not pattern.fullmatch(bad), bad
