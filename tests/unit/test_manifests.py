"""The Kubernetes manifests as `kubectl apply -k deploy/k8s` would send them, checked offline and strictly
(unknown fields refused) against the schemas of the oldest Kubernetes we support; the Grafana dashboard
against the metrics the services export."""

import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from prometheus_client import REGISTRY

import chassis.metrics  # noqa: F401 - registers the metrics the dashboard is checked against

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES = "1.30.0"
CLUSTER_WIDE = {"Namespace"}


def rendered() -> list[dict[str, Any]]:
    """The kustomization's resources with what it adds: namespace, labels, image (the subset of kustomize the
    base uses)."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    labels = {k: v for entry in kustomization.get("labels", []) for k, v in entry["pairs"].items()}
    images = {i["name"]: f"{i['newName']}:{i['newTag']}" for i in kustomization.get("images", [])}
    resources = [doc for name in kustomization["resources"] + ["secret.template.yaml"]
                 for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]
    for resource in resources:
        metadata = resource.setdefault("metadata", {})
        metadata["labels"] = {**metadata.get("labels", {}), **labels}
        if resource["kind"] not in CLUSTER_WIDE:
            metadata["namespace"] = kustomization["namespace"]
        for container in resource.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            container["image"] = images.get(container["image"], container["image"])
    return resources


def test_every_manifest_is_in_the_kustomization() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert {p.name for p in K8S.glob("*.yaml")} - listed == {"kustomization.yaml", "secret.template.yaml"}


@pytest.mark.parametrize("resource", rendered(), ids=lambda r: f"{r['kind']}/{r['metadata']['name']}")
def test_the_rendered_manifests_are_valid_kubernetes(resource: dict[str, Any]) -> None:
    kubernetes_validate.validate(resource, KUBERNETES, strict=True)


def test_the_dashboard_shows_only_metrics_the_services_export() -> None:
    """A metric renamed in chassis/metrics.py must not leave an empty panel behind."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    exported = {family.name + suffix for family in REGISTRY.collect() for suffix in suffixes.get(family.type, [])}
    dashboard = json.loads((K8S.parent / "grafana" / "crm.json").read_text())
    used = {name for panel in dashboard["panels"] for target in panel["targets"]
            for name in re.findall(r"\bcrm_[a-z_]+", target["expr"])}
    assert used and used <= exported, used - exported
