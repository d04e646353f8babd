"""A first-party plugin installs exactly as a third party's would: built as a wheel,
pip-installed with the core into a fresh virtual environment, found by its entry point,
and served over HTTP by waitress."""

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

from portal.testing import build_wheel, free_port, fresh_venv, wait_for_http, write_ini

ROOT = Path(__file__).parents[1]


@pytest.mark.slow
def test_the_pyramid_plugin_wheel_is_served_from_a_fresh_environment(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    core = build_wheel(ROOT, wheels)
    plugin = build_wheel(ROOT / "plugins" / "portal-pyramid", wheels)
    python = fresh_venv(tmp_path / "venv", core, plugin)
    bin_dir = python.parent

    port = free_port()
    ini = write_ini(tmp_path / "site.ini", port, f"sqlite:///{tmp_path / 'portal.sqlite'}")
    subprocess.run([str(bin_dir / "portal"), "db", "upgrade", str(ini)], check=True, cwd=tmp_path,
                   capture_output=True)
    server = subprocess.Popen([str(bin_dir / "pserve"), str(ini)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/healthz", process=server)
        with urllib.request.urlopen(base + "/pyramid/") as response:
            assert response.status == 200
            assert "<h1>" in response.read().decode()
        with urllib.request.urlopen(base + "/-/plugins.json") as response:
            plugins = {p["name"]: p for p in json.load(response)["plugins"]}
        assert plugins["pyramid"]["status"] == "loaded"
        assert plugins["pyramid"]["distribution"] == "portal-pyramid"
        assert plugins["pyramid"]["sections"] == ["pyramid"]
        # Nothing else is installed there: the plugin came from its wheel alone.
        assert set(plugins) == {"pyramid"}
    finally:
        server.terminate()
        server.wait(timeout=10)
