"""The container and the Kubernetes manifests match the code: ports, probes, commands,
settings and the secret references. (No container engine runs here: these checks are
static, against the real application and the real files.)"""

import configparser
import re
import shlex
from pathlib import Path

import pytest
import yaml

from portal.ops.cli import build_parser
from portal.ops.settings import ALIASES, DEFAULTS, env_name

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "kubernetes"


def manifests():
    docs = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") != "Kustomization":
                docs[doc["kind"]] = doc
    return docs


def dockerfile():
    """The Dockerfile's instructions by stage: [(stage name, base image, [(op, arg)])]."""
    stages = []
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, arg = line.partition(" ")
        if op == "FROM":
            parts = arg.split()
            stages.append((parts[-1] if "AS" in parts else None, parts[0], []))
        else:
            stages[-1][2].append((op, arg.strip()))
    return stages


def exec_form(arg):
    return yaml.safe_load(arg)  # a JSON array is YAML


def production_port():
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "production.ini")
    return int(ini["server:main"]["listen"].rsplit(":", 1)[1])


def container(kind):
    return manifests()[kind]["spec"]["template"]["spec"]["containers"][0]


def final_stage():
    return dockerfile()[-1]


def final(op):
    return [arg for o, arg in final_stage()[2] if o == op]


def test_kubernetes_has_every_piece():
    docs = manifests()
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap", "Job"} <= set(docs)
    assert docs["HorizontalPodAutoscaler"]["apiVersion"] == "autoscaling/v2"
    target = docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", docs["Deployment"]["metadata"]["name"])


def test_one_port_everywhere():
    port = production_port()
    assert final("EXPOSE") == [str(port)]
    web = container("Deployment")
    (declared,) = web["ports"]
    assert declared["containerPort"] == port
    service = manifests()["Service"]
    assert service["spec"]["ports"][0]["targetPort"] in (port, declared["name"])
    assert service["spec"]["selector"] == manifests()["Deployment"]["spec"]["selector"]["matchLabels"]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert web[probe]["httpGet"]["port"] in (port, declared["name"])


def test_probes_call_the_health_routes_the_app_has(portal_app):
    web = container("Deployment")
    introspector = portal_app.app.registry.introspector
    routes = {entry["introspectable"]["pattern"] for entry in introspector.get_category("routes")}
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        path = web[probe]["httpGet"]["path"]
        assert path in routes
        assert portal_app.get(path).status_int == 200


def test_the_image_runs_production_ini_with_pserve_where_the_dockerfile_puts_it():
    (cmd,) = final("CMD")
    command = exec_form(cmd)
    assert command[0] == "pserve"
    ini = command[1]
    assert any(arg.split() == ["production.ini", ini] for arg in final("COPY"))
    assert container("Deployment")["command"] == command


def test_the_migration_job_runs_the_portal_command_that_exists():
    command = container("Job")["command"]
    assert command[0] == "portal"
    project = (ROOT / "pyproject.toml").read_text()
    assert 'portal = "portal.ops.cli:main"' in project
    args = build_parser().parse_args(command[1:])  # the real parser accepts it
    assert (args.command, args.action, args.config) == ("db", "upgrade", exec_form(final("CMD")[0])[1])
    assert container("Job")["image"] == container("Deployment")["image"]
    assert manifests()["Job"]["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_secrets_come_from_a_secret_and_settings_from_the_config_map(kind):
    spec = container(kind)
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in spec["env"] if "valueFrom" in e}
    assert set(refs) == {"DATABASE_URL", "PORTAL_SECRET"}
    assert all(ref["name"] == "portal-secrets" for ref in refs.values())
    assert not [e for e in spec["env"] if "value" in e and e["name"] in refs]
    assert spec["envFrom"] == [{"configMapRef": {"name": manifests()["ConfigMap"]["metadata"]["name"]}}]


def test_every_config_map_key_is_a_setting_the_portal_reads():
    known = {env_name(name) for name in DEFAULTS} | set(ALIASES)
    data = manifests()["ConfigMap"]["data"]
    assert set(data) <= known, set(data) - known
    assert "PORTAL_SECRET" not in data and "DATABASE_URL" not in data


def test_the_image_is_slim_runs_as_a_user_and_carries_no_build_tools():
    stages = dockerfile()
    assert len(stages) >= 2, "a multi-stage build"
    name, base, steps = stages[-1]
    assert re.match(r"python:3\.\d+-slim", base)
    (user,) = final("USER")
    assert user.split(":")[0] not in ("root", "0")
    runs = " ".join(final("RUN"))
    for tool in ("gcc", "build-essential", "apt-get install", "git"):
        assert tool not in runs
    assert "--no-index" in runs  # only the wheels built in the first stage
    assert any("--from=build /wheels" in arg for arg in final("COPY"))
    assert not any(arg.split()[0] == "." for arg in final("COPY"))  # no source tree
    build_runs = " ".join(arg for o, arg in stages[0][2] if o == "RUN")
    assert "plugins/*/" in build_runs  # every first-party plugin, as a wheel


def test_pods_run_as_the_images_user():
    (user,) = final("USER")
    for kind in ("Deployment", "Job"):
        context = manifests()[kind]["spec"]["template"]["spec"]["securityContext"]
        assert context["runAsNonRoot"] is True
        assert str(context["runAsUser"]) == user.split(":")[0]


def test_the_deploy_guide_exists_and_names_the_commands():
    doc = (ROOT / "docs" / "deploy.md").read_text()
    for needle in ("docker build", "kubectl", "portal db upgrade", "/readyz", "DATABASE_URL"):
        assert needle in doc
    for line in re.findall(r"^\s*\$ (pserve .*)$", doc, re.M):
        assert shlex.split(line)[0] == "pserve"


def test_the_kubernetes_settings_trust_the_ingress_and_bound_database_waits():
    from portal.http.proxies import networks

    data = manifests()["ConfigMap"]["data"]
    assert networks(data["PORTAL_TRUSTED_PROXIES"])  # parses, as the portal will parse it
    for name in ("PORTAL_DB_CONNECT_TIMEOUT", "PORTAL_DB_STATEMENT_TIMEOUT", "PORTAL_DB_POOL_TIMEOUT"):
        assert 0 < int(data[name]) <= 10, name
    # The liveness probe (/healthz never waits on the database) outlasts none of them, the
    # readiness probe's timeout is what an unready pod costs.
    web = container("Deployment")
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
