"""Files a deployment or another implementation relies on stay true to the code."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from engine.adapters.migrations import migration_files
from engine.adapters.postgres import queries
from engine.api.app import create_app
from engine.cli.common import render_json
from engine.events import SCHEMA_TYPES, ClaimAdmitted, json_schema
from engine.settings import Settings


def test_docker_compose_describes_the_deployment(repo_root):
    doc = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    services = doc["services"]
    assert {"postgres", "api", "stream", "prepare", "redis-cluster-init"} <= set(services)
    brokers = [f"kafka-{i}" for i in (1, 2, 3)]
    voters = services["kafka-1"]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    for i, name in enumerate(brokers, 1):
        env = services[name]["environment"]
        assert "controller" in env["KAFKA_PROCESS_ROLES"]  # KRaft
        assert env["KAFKA_NODE_ID"] == i and f"{i}@{name}:9093" in voters
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert (env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"]) == (3, 2)
    nodes = [n for n in services if n.startswith("redis-") and n[6:].isdigit()]
    init = services["redis-cluster-init"]["command"][0]
    assert len(nodes) == 9 and "--cluster-replicas 2" in init
    assert all(f"{n}:6379" in init for n in nodes)
    for name in ("api", "stream"):
        env = services[name]["environment"]
        assert env["NUANXIN_KAFKA_BOOTSTRAP"] == ",".join(f"{b}:9092" for b in brokers)
        assert env["NUANXIN_REDIS_URL"].startswith("redis+cluster://")
        assert env["NUANXIN_KAFKA_IDEMPOTENT_PRODUCER"] == "true"
        assert (
            env["NUANXIN_TOPIC_REPLICATION_FACTOR"],
            env["NUANXIN_TOPIC_MIN_INSYNC_REPLICAS"],
        ) == (
            "3",
            "2",
        )
        assert (
            services[name]["depends_on"]["prepare"]["condition"] == "service_completed_successfully"
        )
    assert set(doc["secrets"]) == {
        "signing-keys.json",
        "worker-token-keys.json",
        "event-keys.json",
        "ops-token",
    }
    for name in ("api", "stream"):
        assert "event-keys.json" in services[name]["secrets"]


def test_served_openapi_matches_the_committed_document(repo_root):
    committed = (repo_root / "schemas" / "openapi.json").read_text()
    assert render_json(create_app(Settings()).openapi()) == committed, "run: nuanxin schemas"


def test_event_schemas_match_the_records(repo_root):
    for name in SCHEMA_TYPES:
        committed = json.loads((repo_root / "schemas" / "events" / f"{name}.json").read_text())
        assert committed == json_schema(name), "run: nuanxin schemas"
    event = ClaimAdmitted(
        claim_id="c.0",
        campaign_id="c",
        campaign_number=1,
        serial=1,
        worker_id="w",
        face_value_fen=300,
        valid_until=1,
        admitted_at_ms=1,
    )
    schema = json_schema("claim.admitted")
    jsonschema.validate(json.loads(event.dumps()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(event.dumps()) | {"serial": "one"}, schema)


def test_every_named_query_and_migration_is_present():
    names = set(queries())
    assert {
        "upsert_vouchers",
        "insert_ledger_entries",
        "insert_campaign",
        "merchant_by_key_hash",
    } <= names
    files = [name for name, _ in migration_files()]
    assert files == sorted(files) and files[0] == "001_init.sql"


def _metric_names() -> set[str]:
    """Every series name the engine can export (a labelled metric has none until used)."""
    from prometheus_client import Counter, Gauge, Histogram

    from engine import metrics

    suffixes = {Counter: ("_total",), Histogram: ("_bucket", "_count", "_sum"), Gauge: ("",)}
    names = set()
    for value in vars(metrics).values():
        for kind, ends in suffixes.items():
            if isinstance(value, kind):
                base = value._name.removesuffix("_total")
                names |= {base + end for end in ends}
    return names


def test_alert_rules_and_dashboard_name_only_metrics_the_code_exports(repo_root):
    import re

    rules = yaml.safe_load((repo_root / "ops" / "alerts.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    assert {r["alert"] for g in rules["groups"] for r in g["rules"]} >= {
        "IssuanceLagHigh",
        "ConsumerLagHigh",
        "ApiErrorRateHigh",
        "WaveFillingFasterThanPlanned",
        "BudgetNearlySpent",
    }
    dashboard = json.loads(
        (repo_root / "ops" / "grafana" / "dashboards" / "nuanxin.json").read_text()
    )
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    known = _metric_names()
    used = {m for e in exprs for m in re.findall(r"nuanxin_[a-z_]+", e)}
    assert used and used <= known, used - known
    prometheus = yaml.safe_load((repo_root / "ops" / "prometheus.yml").read_text())
    assert {j["job_name"] for j in prometheus["scrape_configs"]} == {
        "nuanxin-api",
        "nuanxin-stream",
    }
    compose = yaml.safe_load((repo_root / "docker-compose.yml").read_text())["services"]
    assert {"prometheus", "grafana"} <= set(compose)
    assert compose["stream"]["environment"]["NUANXIN_STREAM_METRICS_PORT"] == "9100"
