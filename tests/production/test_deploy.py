"""The deployment files for many machines (deploy/kubernetes/) are valid Kubernetes
objects, checked with kubernetes-validate's bundled schemas (no download), and say the
same as the profile on one machine."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.processes import ROOT

KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.28.0"
# kubernetes-validate 1.28 (the last release that works with Rasa's jsonschema < 4.18)
# reads its schemas through pkg_resources (deprecated, and noisy about other packages'
# namespaces) and names a draft jsonschema 4.17 warns about.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


def objects(path: Path) -> list:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def by_kind(kind: str) -> dict:
    return {o["metadata"]["name"]: o for p in MANIFESTS for o in objects(p) if o["kind"] == kind}


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_manifest_is_a_valid_kubernetes_object(path: Path) -> None:
    import kubernetes_validate  # here: importing it imports pkg_resources (warnings above)

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


def test_the_gateway_rasa_and_the_action_server_run_two_replicas() -> None:
    deployments = by_kind("Deployment")
    assert deployments["hm-rasa"]["spec"]["replicas"] == 2
    assert deployments["hm-actions"]["spec"]["replicas"] == 2
    assert deployments["hm-gateway"]["spec"]["replicas"] == 2


def test_every_secret_comes_from_the_operators_secret_never_from_a_manifest() -> None:
    assert not by_kind("Secret")
    settings = by_kind("ConfigMap")["hm-settings"]["data"]
    assert not [k for k in settings if any(w in k for w in ("TOKEN", "SECRET", "PASSWORD", "_DB"))]
    for path in MANIFESTS:
        for line in path.read_text().splitlines():
            if any(w in line for w in ("TOKEN", "SECRET", "PASSWORD")) and "value:" in line:
                pytest.fail(f"{path.name}: a secret written as a value: {line.strip()}")


def test_the_one_machine_profile_writes_a_valid_nginx_and_supervisord_configuration(
        tmp_path: Path) -> None:
    """What `make run-production` writes before it starts anything (bot/production.py)."""
    import subprocess

    from bot.production import NGINX, Layout, supervised, write_nginx
    from bot.supervision import config

    layout = Layout()
    conf = write_nginx(tmp_path, tmp_path / "log", layout)
    checked = subprocess.run([NGINX, "-t", "-p", f"{tmp_path}/", "-c", conf.name,
                              "-e", str(tmp_path / "log" / "check.log")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    programs = supervised(layout, tmp_path, tmp_path / "log")
    text = config.render(programs, config.Layout(tmp_path, tmp_path / "log"),
                         {"HM_RASA_TOKEN": "t"})
    names = [p.name for p in programs]
    assert names == ["backends", "actions1", "actions2", "rasa1", "rasa2", "gateway1",
                     "gateway2", "retention", "reminders", "nginx"]
    assert text.count("deploy/rasa-endpoints.yml") == 2
    # Rasa counts as started once its model is loaded (its status needs the token).
    assert [p.ready for p in programs if p.name.startswith("rasa")] == [
        f"http://127.0.0.1:{port}/status?token={{HM_RASA_TOKEN}}" for port in layout.rasas]
    # Both gateways serve (the live hub is relayed through Redis): no standby.
    assert "server 127.0.0.1:8282 max_fails=1 fail_timeout=5s;" in conf.read_text()
    assert "backup" not in conf.read_text()
