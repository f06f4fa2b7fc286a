"""The Kubernetes manifests as `kubectl apply -k deploy/k8s` (and `-k deploy/k8s/keda`) would send them, checked
offline and strictly (unknown fields refused) against the schemas of the oldest Kubernetes we support; the
compose file against the Compose Specification; the Grafana dashboard and the alerting rules against the
metrics the services export."""

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from prometheus_client import REGISTRY

import chassis.metrics  # noqa: F401 - registers the metrics the dashboard is checked against
from crm.services import SERVICES

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KEDA = K8S / "keda"
KEDA_API = {"keda.sh/v1alpha1"}
DEFINITIONS = K8S.parent / "rabbitmq" / "definitions.json"
COMPOSE = K8S.parents[1] / "docker-compose.yml"
KUBERNETES = "1.30.0"
CLUSTER_WIDE = {"Namespace"}


def rendered(directory: Path = K8S) -> list[dict[str, Any]]:
    """A kustomization's resources with what it adds: its bases, namespace, labels, image, and deleting patches
    (the subset of kustomize ours use). The base brings the secret template along, as it is applied by hand."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    resources: list[dict[str, Any]] = []
    for name in kustomization["resources"] + (["secret.template.yaml"] if directory == K8S else []):
        if (directory / name).is_dir():
            resources += rendered((directory / name).resolve())
        else:
            resources += [doc for doc in yaml.safe_load_all((directory / name).read_text()) if doc]
    labels = {k: v for entry in kustomization.get("labels", []) for k, v in entry["pairs"].items()}
    images = {i["name"]: f"{i['newName']}:{i['newTag']}" for i in kustomization.get("images", [])}
    for resource in resources:
        metadata = resource.setdefault("metadata", {})
        metadata["labels"] = {**metadata.get("labels", {}), **labels}
        if "namespace" in kustomization and resource["kind"] not in CLUSTER_WIDE:
            metadata["namespace"] = kustomization["namespace"]
        for container in resource.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            container["image"] = images.get(container["image"], container["image"])
    for patch in kustomization.get("patches", []):
        assert "$patch: delete" in patch["patch"], "only deleting patches are rendered here"
        target = patch["target"]
        resources = [r for r in resources
                     if not (r["kind"] == target["kind"] and re.fullmatch(target["name"], r["metadata"]["name"]))]
    return resources


def test_every_manifest_is_in_the_kustomization() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert {p.name for p in K8S.glob("*.yaml")} - listed == {"kustomization.yaml", "secret.template.yaml"}


@pytest.mark.parametrize("resource", rendered() + [r for r in rendered(KEDA) if r["apiVersion"] not in KEDA_API],
                         ids=lambda r: f"{r['kind']}/{r['metadata']['name']}")
def test_the_rendered_manifests_are_valid_kubernetes(resource: dict[str, Any]) -> None:
    kubernetes_validate.validate(resource, KUBERNETES, strict=True)


def test_with_keda_each_service_scales_on_its_own_partitions_backlog_and_on_cpu() -> None:
    """KEDA's own resources have no schema offline: what matters about them is checked here instead."""
    overlay = {(r["kind"], r["metadata"]["name"]): r for r in rendered(KEDA)}
    base_hpas = {r["metadata"]["name"]: r["spec"] for r in rendered() if r["kind"] == "HorizontalPodAutoscaler"}
    queues = {q["name"] for q in json.loads(DEFINITIONS.read_text())["queues"]}
    partitions = int(yaml.safe_load((K8S / "configmap.yaml").read_text())["data"]["PARTITIONS"])
    secret_keys = set(yaml.safe_load((K8S / "secret.template.yaml").read_text())["stringData"])
    scaled = [r for (kind, _), r in overlay.items() if kind == "ScaledObject"]
    assert {r["metadata"]["name"] for r in scaled} == set(SERVICES)
    for scaled_object in scaled:
        spec, name = scaled_object["spec"], scaled_object["metadata"]["name"]
        assert ("Deployment", spec["scaleTargetRef"]["name"]) in overlay
        assert ("HorizontalPodAutoscaler", name) not in overlay  # KEDA makes it: two would fight
        assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (base_hpas[name]["minReplicas"],
                                                                     base_hpas[name]["maxReplicas"])
        triggers = {t["type"]: t for t in spec["triggers"]}
        assert triggers["cpu"]["metadata"]["value"] == "70"
        backlog = triggers["rabbitmq"]
        pattern = backlog["metadata"]["queueName"]
        assert {q for q in queues if re.search(pattern, q)} == {f"crm.{name}.{i}" for i in range(partitions)}
        assert backlog["metadata"]["useRegex"] == "true" and backlog["metadata"]["operation"] == "sum"
        authentication = overlay["TriggerAuthentication", backlog["authenticationRef"]["name"]]
        assert {ref["key"] for ref in authentication["spec"]["secretTargetRef"]} <= secret_keys


def compose_problems(compose: dict[str, Any]) -> list[str]:
    """What the Compose Specification's schema (as check-jsonschema ships it) finds wrong in a compose file."""
    schema = json.loads(files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)
    return [f"{e.json_path}: {e.message}"
            for e in validator(schema, format_checker=validator.FORMAT_CHECKER).iter_errors(compose)]


def test_the_compose_file_follows_the_compose_specification() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    assert compose_problems(compose) == []
    compose["services"]["credit"]["restart_policy"] = "always"  # a plausible slip: the key is `restart`
    assert compose_problems(compose)


def exported_metrics() -> set[str]:
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    return {family.name + suffix for family in REGISTRY.collect() for suffix in suffixes.get(family.type, [])}


def test_the_dashboard_shows_only_metrics_the_services_export() -> None:
    """A metric renamed in chassis/metrics.py must not leave an empty panel behind."""
    dashboard = json.loads((K8S.parent / "grafana" / "crm.json").read_text())
    used = {name for panel in dashboard["panels"] for target in panel["targets"]
            for name in re.findall(r"\bcrm_[a-z_]+", target["expr"])}
    assert used and used <= exported_metrics(), used - exported_metrics()


def test_every_alert_watches_exported_metrics_and_says_where_its_runbook_is() -> None:
    """A renamed metric must not silence an alert (Prometheus takes a rule about a missing series quietly)."""
    rules = [rule for group in yaml.safe_load((K8S.parent / "prometheus" / "alerts.yml").read_text())["groups"]
             for rule in group["rules"]]
    assert rules
    for rule in rules:
        used = set(re.findall(r"\bcrm_[a-z_]+", rule["expr"]))
        assert used and used <= exported_metrics(), (rule["alert"], used - exported_metrics())
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        runbook = rule["annotations"]["runbook"]
        assert rule["annotations"]["summary"] and runbook.split(" ")[0] in readme_anchors(), rule["alert"]


def readme_anchors() -> set[str]:
    """`README.md#<anchor>` of each heading, as GitHub makes them."""
    headings = re.findall(r"^#+ (.+)$", (K8S.parents[1] / "README.md").read_text(), flags=re.MULTILINE)
    return {"README.md#" + re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
