"""The Kubernetes manifests in ops/k8s: valid for the API server (kubernetes-validate's
strict schemas, offline) and consistent with the engine they run."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from engine.cli.main import app as cli
from engine.settings import Settings

K8S_VERSION = "1.30"


def manifests(repo_root):
    found = []
    for path in sorted((repo_root / "ops" / "k8s").glob("*.yaml")):
        found += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def containers(doc):
    """The containers of a workload (a Deployment's or a Job's pod template); [] otherwise."""
    return doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])


def test_every_manifest_validates_strictly(repo_root):
    docs = manifests(repo_root)
    assert {d["kind"] for _, d in docs} >= {
        "Namespace", "ConfigMap", "Job", "Deployment", "Service", "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }  # fmt: skip
    for name, doc in docs:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name} {doc['kind']}/{doc['metadata']['name']}: {exc.message}")


def test_a_typo_is_caught(repo_root):
    """The check can fail: an unknown field in a container is refused."""
    _, deployment = next((n, d) for n, d in manifests(repo_root) if d["kind"] == "Deployment")
    containers(deployment)[0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_manifests_match_the_engine(repo_root):
    docs = [d for _, d in manifests(repo_root)]
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    fields = set(Settings.model_fields)
    for key in config["data"]:
        assert key.startswith("NUANXIN_") and key[8:].lower() in fields, key
    settings = Settings.from_env(config["data"])
    commands = {c.name or c.callback.__name__ for c in cli.registered_commands}
    for doc in docs:
        for container in containers(doc):
            assert container["args"][0] in commands, container["args"]
            refs = {next(iter(r)): r[next(iter(r))]["name"] for r in container["envFrom"]}
            assert refs == {"configMapRef": "nuanxin-config", "secretRef": "nuanxin-secrets"}
    core = next(d for d in docs if d["metadata"]["name"] == "nuanxin-stream")
    # A core stream worker past the partitions would get none to work on.
    assert core["spec"]["replicas"] <= settings.topic_partitions
    assert settings.redis_url.get_secret_value().startswith("redis+cluster://")
    assert settings.redis_wait_replicas >= 1
    assert (settings.topic_replication_factor, settings.topic_min_insync_replicas) == (3, 2)
