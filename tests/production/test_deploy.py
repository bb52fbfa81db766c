"""The deployment files for many machines (deploy/kubernetes/) are valid Kubernetes
objects, checked with kubernetes-validate's bundled schemas (no download), and say the
same as the profile on one machine."""
from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from bot.processes import ROOT

KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.28.0"
# kubernetes-validate 1.28 (the last release that works with Rasa's jsonschema < 4.18)
# reads its schemas through pkg_resources and names a draft jsonschema 4.17 warns about.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


def objects(path: Path) -> list:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def by_kind(kind: str) -> dict:
    return {o["metadata"]["name"]: o for p in MANIFESTS for o in objects(p) if o["kind"] == kind}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_a_valid_kubernetes_object(path: Path) -> None:
    found = objects(path)
    assert found
    for resource in found:
        # strict: an unknown or misspelt field is an error, not ignored
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_applies_every_manifest_and_nothing_else() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [p.name for p in MANIFESTS]


def test_rasa_gets_the_profiles_endpoints_and_the_credentials_word_for_word() -> None:
    files = by_kind("ConfigMap")["hm-rasa-files"]["data"]
    assert files["endpoints.yml"] == (ROOT / "deploy" / "rasa-endpoints.yml").read_text()
    assert files["credentials.yml"] == (ROOT / "credentials.yml").read_text()


def test_rasa_and_the_action_server_run_two_replicas() -> None:
    deployments = by_kind("Deployment")
    assert deployments["hm-rasa"]["spec"]["replicas"] == 2
    assert deployments["hm-actions"]["spec"]["replicas"] == 2


def test_every_secret_comes_from_the_operators_secret_never_from_a_manifest() -> None:
    assert not by_kind("Secret")
    settings = by_kind("ConfigMap")["hm-settings"]["data"]
    assert not [k for k in settings if any(w in k for w in ("TOKEN", "SECRET", "PASSWORD", "_DB"))]
    for path in MANIFESTS:
        for line in path.read_text().splitlines():
            if any(w in line for w in ("TOKEN", "SECRET", "PASSWORD")) and "value:" in line:
                pytest.fail(f"{path.name}: a secret written as a value: {line.strip()}")
