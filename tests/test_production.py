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
