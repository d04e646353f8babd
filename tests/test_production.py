"""Production settings: every setting from the environment, production.ini as shipped, a
clear error without a secret, JSON logs."""

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from pyramid.exceptions import ConfigurationError
from pyramid.paster import get_appsettings

from portal.ops.settings import ALIASES, DEFAULTS, env_name, load_settings
from portal.testing import TEST_SECRET, free_port, wait_for_http

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_INI = ROOT / "production.ini"
BIN = Path(sys.executable).parent


def other_value(name, default, parse):
    """A raw environment value for ``name`` that parses to something else than its default."""
    if parse.__name__ == "asbool":
        return ("false", False) if default else ("true", True)
    if parse is int:
        return str(default + 7), default + 7
    if parse.__name__ == "aslist":
        if name == "portal.plugins.owners":
            return "acme=acme-pro", {"acme": "acme-pro"}
        return "alpha beta", ("alpha", "beta")
    if parse.__name__ == "networks":
        import ipaddress

        return "10.0.0.0/8 ::1", (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1"))
    if name == "portal.comments.moderation":
        value = "all" if default != "all" else "open"
        return value, value
    return "from-the-environment", "from-the-environment"


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_every_setting_is_overridden_by_its_environment_name(name):
    default, parse = DEFAULTS[name]
    raw, expected = other_value(name, default, parse)
    ini = {"portal.secret": TEST_SECRET}
    settings = load_settings(ini, {env_name(name): raw})
    assert settings[name] == expected
    assert load_settings(ini, {})[name] != expected


def test_environment_wins_over_the_ini_file():
    settings = load_settings({"portal.max_body_bytes": "1000", "portal.secret": "x"},
                             {"PORTAL_MAX_BODY_BYTES": "2000"})
    assert settings["portal.max_body_bytes"] == 2000


def test_database_url_is_the_conventional_name_for_sqlalchemy_url():
    assert ALIASES["DATABASE_URL"] == "sqlalchemy.url"
    settings = load_settings({"sqlalchemy.url": "sqlite:///ini.sqlite"},
                             {"DATABASE_URL": "postgresql+psycopg://db/portal"})
    assert settings["sqlalchemy.url"] == "postgresql+psycopg://db/portal"


def test_a_bad_value_in_the_environment_names_the_variable():
    with pytest.raises(ConfigurationError, match="PORTAL_MAX_BODY_BYTES"):
        load_settings({}, {"PORTAL_MAX_BODY_BYTES": "lots"})


def test_production_ini_requires_a_secret_and_says_how_to_make_one():
    settings = get_appsettings(str(PRODUCTION_INI))
    with pytest.raises(ConfigurationError) as err:
        load_settings(settings, {})
    assert "PORTAL_SECRET" in str(err.value)
    assert "secrets.token_hex" in str(err.value)
    typed = load_settings(settings, {"PORTAL_SECRET": TEST_SECRET})
    assert typed["portal.secret"] == TEST_SECRET
    assert typed["portal.cookies.secure"] is True


def test_production_ini_has_no_debug_toolbar_and_serves_with_waitress():
    text = PRODUCTION_INI.read_text()
    assert "debugtoolbar" not in text
    assert re.search(r"^use = egg:waitress#main$", text, re.M)
    assert "pyramid.reload_templates = false" in text
    assert "class = portal.ops.logs.JsonFormatter" in text


def test_operators_doc_lists_every_setting_with_its_environment_name():
    doc = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    missing = [name for name in DEFAULTS if f"`{name}`" not in doc or f"`{env_name(name)}`" not in doc]
    assert not missing, f"docs/operators.md does not document: {', '.join(missing)}"
    assert "`DATABASE_URL`" in doc


def production_copy(tmp_path, port):
    """production.ini exactly as shipped, but listening on a free local port."""
    text = PRODUCTION_INI.read_text()
    text, count = re.subn(r"^listen = .*$", f"listen = 127.0.0.1:{port}", text, flags=re.M)
    assert count == 1
    ini = tmp_path / "production.ini"
    ini.write_text(text)
    return ini


def server_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.pop("DATABASE_URL", None)
    env.update(extra)
    return env


@pytest.mark.slow
def test_pserve_production_ini_refuses_to_start_without_a_secret(tmp_path):
    ini = production_copy(tmp_path, free_port())
    env = server_env(DATABASE_URL=f"sqlite:///{tmp_path}/portal.sqlite")
    run = subprocess.run([str(BIN / "pserve"), str(ini)], env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode != 0
    assert "no secret: set PORTAL_SECRET" in run.stderr + run.stdout


@pytest.mark.slow
def test_pserve_production_ini_serves_and_logs_json_lines(tmp_path):
    port = free_port()
    ini = production_copy(tmp_path, port)
    env = server_env(DATABASE_URL=f"sqlite:///{tmp_path}/portal.sqlite", PORTAL_SECRET=TEST_SECRET,
                     PORTAL_SITE_NAME="Portal from the environment")
    subprocess.run([str(BIN / "portal"), "db", "upgrade", str(ini)], env=env, check=True,
                   capture_output=True, timeout=60)
    server = subprocess.Popen([str(BIN / "pserve"), str(ini)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=server)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz") as resp:
            assert json.load(resp)["status"] == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as resp:
            assert "Portal from the environment" in resp.read().decode()
            assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert records, f"no JSON log lines on stdout; stdout={out[:500]!r} stderr={err[:500]!r}"
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(r["logger"].startswith("portal") for r in records)


def test_trusted_proxies_are_networks_and_a_bad_one_names_the_variable():
    settings = load_settings({}, {"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7"})
    assert [str(n) for n in settings["portal.trusted_proxies"]] == ["10.0.0.0/8", "192.168.1.7/32"]
    with pytest.raises(ConfigurationError, match="PORTAL_TRUSTED_PROXIES"):
        load_settings({}, {"PORTAL_TRUSTED_PROXIES": "the ingress"})
    shipped = load_settings(get_appsettings(str(PRODUCTION_INI)), {"PORTAL_SECRET": TEST_SECRET})
    assert [str(n) for n in shipped["portal.trusted_proxies"]] == ["127.0.0.1/32", "::1/128"]
    assert "trusted_proxy" not in PRODUCTION_INI.read_text().split("[server:main]")[1]


@pytest.mark.parametrize("peer, forwarded, client", [
    ("10.1.2.3", "198.51.100.7", "198.51.100.7"),              # through the ingress
    ("10.1.2.3", "6.6.6.6, 198.51.100.7", "198.51.100.7"),     # a forged first hop is ignored
    ("10.1.2.3", "198.51.100.7, 10.9.9.9", "198.51.100.7"),    # two trusted proxies
    ("203.0.113.5", "198.51.100.7", "203.0.113.5"),            # not a proxy: not believed
    ("10.1.2.3", "not an address", "10.1.2.3"),
])
def test_the_client_behind_trusted_proxies_is_the_first_untrusted_hop(portal_app_factory, peer,
                                                                    forwarded, client):
    import webtest

    from portal.abuse.limits import keyed

    app = portal_app_factory(**{"portal.trusted_proxies": "10.0.0.0/8"})
    seen = {}

    def capture(event):
        seen["addr"] = event.request.remote_addr
        seen["url"] = event.request.application_url
        seen["key"] = event.request.client_key
        seen["xff"] = event.request.client_addr

    from pyramid.events import NewResponse

    app.app.registry.registerHandler(capture, (NewResponse,))
    browser = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": peer})
    browser.get("/healthz", headers={"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https",
                                     "X-Forwarded-Host": "docs.example.org"})
    assert seen["addr"] == client == seen["xff"]
    request = type("R", (), {"registry": app.app.registry})()
    assert seen["key"] == keyed(request, "client", client)
    trusted = peer.startswith("10.")
    assert seen["url"] == ("https://docs.example.org" if trusted else "http://localhost")


@pytest.mark.parametrize("url, loaded", [("sqlite:///{tmp}/p.sqlite", False),
                                         ("postgresql+psycopg://postgres@127.0.0.1/none", True)])
def test_a_deployment_loads_the_postgresql_driver_only_when_it_uses_it(tmp_path, url, loaded):
    # portal.main in a process of its own, as pserve starts it (a serving process's imports
    # are the whole process's; the test kit's own process is left alone).
    script = (
        "import sys, portal\n"
        "portal.main({}, **{'sqlalchemy.url': sys.argv[1]})\n"
        "assert 'zope.sqlalchemy' in sys.modules\n"
        "print('psycopg' in sys.modules)\n"
        "import psycopg  # importable afterwards all the same\n"
    )
    env = dict(os.environ, PORTAL_SECRET=TEST_SECRET)
    run = subprocess.run([sys.executable, "-c", script, url.format(tmp=tmp_path)], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == str(loaded)
