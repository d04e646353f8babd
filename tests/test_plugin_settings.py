"""Plugin settings in the contract (1.1): ``config.add_portal_setting`` declares a typed
setting with a default, read from the site's settings (the .ini) and overridden by the
environment the way the core's are (``PORTAL_ACME_API_URL``), validated at start-up with
an error naming the plugin, the setting and the value, listed on ``/-/plugins`` (values to
moderators, secrets to no one), and undeclared ``acme.*`` keys reported."""

import json

import pytest
import webtest

from portal import main
from portal.plugins import PluginError
from portal.testing import log_in_moderator

ACME = {
    "portal_acme/__init__.py": """
        from pyramid.view import view_config

        from portal.resources import Section


        def settings_view(context, request):
            s = request.registry.settings
            return {k: s[k] for k in ("acme.api_url", "acme.timeout", "acme.retries", "acme.beta",
                                      "acme.regions", "acme.api_key")}


        def includeme(config):
            config.add_portal_setting("acme.api_url", str, default="https://api.acme.example",
                                      description="Where the status widget asks.")
            config.add_portal_setting("acme.timeout", float, default=2.5)
            config.add_portal_setting("acme.retries", int, default=3)
            config.add_portal_setting("acme.beta", bool, default=False)
            config.add_portal_setting("acme.regions", list, default=["eu"])
            config.add_portal_setting("acme.api_key", str, secret=True)
            # The value is there at once, typed, for the rest of includeme.
            assert isinstance(config.get_settings()["acme.retries"], int)
            config.add_portal_section("acme", title="Acme", content="portal_acme:content")
            config.add_view(settings_view, context=Section, name="settings", section="acme",
                            renderer="json")
    """,
    "portal_acme/content/index.md": "# Acme\n\nLanding.\n",
}

KEY = "sk-live-do-not-show"


@pytest.fixture
def acme(installed_plugin):
    installed_plugin("acme", ACME)


def entry(app, name="acme"):
    return next(p for p in app.get("/-/plugins.json").json["plugins"] if p["name"] == name)


def test_defaults_and_the_sites_settings_give_typed_values(acme, portal_app_factory):
    app = portal_app_factory(plugins=["acme"], strict=True, **{
        "acme.api_key": KEY, "acme.timeout": "0.5", "acme.beta": "yes", "acme.regions": "eu us\nasia"})
    assert app.get("/acme/@@settings").json == {
        "acme.api_url": "https://api.acme.example", "acme.timeout": 0.5, "acme.retries": 3,
        "acme.beta": True, "acme.regions": ["eu", "us", "asia"], "acme.api_key": KEY}


def test_the_environment_overrides_the_ini_like_the_cores_settings(acme, portal_settings, monkeypatch):
    """Through the paste entry point, the one that reads the environment."""
    monkeypatch.setenv("PORTAL_ACME_API_URL", "https://eu.acme.example")
    monkeypatch.setenv("PORTAL_ACME_RETRIES", "7")
    monkeypatch.setenv("PORTAL_ACME_API_KEY", KEY)
    app = webtest.TestApp(main({}, **{**portal_settings, "portal.plugins.only": "acme",
                                      "portal.plugins.strict": "true",
                                      "acme.api_url": "https://ini.acme.example"}))
    values = app.get("/acme/@@settings").json
    assert (values["acme.api_url"], values["acme.retries"]) == ("https://eu.acme.example", 7)
    log_in_moderator(app)
    settings = {s["name"]: s for s in entry(app)["settings"]}
    assert settings["acme.api_url"]["source"] == "environment"
    assert settings["acme.api_url"]["environment"] == "PORTAL_ACME_API_URL"
    assert settings["acme.timeout"]["source"] == "default"


@pytest.mark.parametrize("name, raw, message", [
    ("acme.retries", "three", "setting acme.retries = 'three' from the site's settings is not an integer"),
    ("acme.beta", "perhaps", "setting acme.beta = 'perhaps' from the site's settings is not true or false"),
    ("acme.timeout", "soon", "setting acme.timeout = 'soon' from the site's settings is not a number"),
])
def test_a_bad_value_is_refused_at_start_naming_the_plugin_the_setting_and_the_value(
    name, raw, message, acme, portal_app_factory
):
    settings = {"acme.api_key": KEY, name: raw}
    with pytest.raises(PluginError) as exc:
        portal_app_factory(plugins=["acme"], strict=True, **settings)
    assert str(exc.value).startswith(f"plugin 'acme' (portal-acme 1.0): includeme failed: {message}")
    assert "portal_acme/__init__.py:" in str(exc.value)  # the add_portal_setting line
    # Without strict, the portal starts and lists the plugin as failed, with the same words.
    app = portal_app_factory(plugins=["acme"], **settings)
    log_in_moderator(app)
    failed = entry(app)
    assert failed["status"] == "failed" and message in failed["error"]
    app.get("/acme/", status=404)


def test_a_required_setting_without_a_value_says_how_to_give_one(acme, portal_app_factory):
    with pytest.raises(PluginError, match=r"setting acme.api_key is required and has no value: set "
                                          r"acme.api_key in the site's .ini or PORTAL_ACME_API_KEY"):
        portal_app_factory(plugins=["acme"], strict=True)


def test_a_secret_never_leaves_the_portal_and_values_are_for_moderators(acme, portal_app_factory):
    app = portal_app_factory(plugins=["acme"], **{"acme.api_key": KEY, "acme.retries": "5"})
    public = app.get("/-/plugins.json").text
    assert KEY not in public and '"value"' not in public
    names = [s["name"] for s in entry(app)["settings"]]
    assert names == ["acme.api_url", "acme.timeout", "acme.retries", "acme.beta", "acme.regions", "acme.api_key"]
    log_in_moderator(app)
    listing = app.get("/-/plugins.json")
    assert KEY not in listing.text and KEY not in app.get("/-/plugins").text
    settings = {s["name"]: s for s in entry(app)["settings"]}
    assert settings["acme.api_key"]["value"] == "(secret)" and settings["acme.api_key"]["secret"] is True
    assert (settings["acme.retries"]["value"], settings["acme.retries"]["source"]) == (5, "settings")
    assert settings["acme.api_url"]["description"] == "Where the status widget asks."
    assert json.loads(listing.text)  # and it is still JSON


def test_undeclared_keys_under_the_plugins_name_are_reported(acme, portal_app_factory, caplog):
    app = portal_app_factory(plugins=["acme"], **{"acme.api_key": KEY, "acme.api_ulr": "https://typo"})
    log_in_moderator(app)
    assert entry(app)["notes"] == [
        "acme.api_ulr in the site's settings is not a setting of plugin 'acme' (portal-acme 1.0) "
        "(did you mean acme.api_url?)"]
    assert "acme.api_ulr in the site's settings is not a setting" in caplog.text


def test_settings_live_under_the_plugins_own_name(installed_plugin, portal_app_factory):
    installed_plugin("acme", {
        "portal_acme/__init__.py": """
            def includeme(config):
                config.add_portal_setting("other.api_url", str, default="x")
        """,
    })
    with pytest.raises(PluginError, match=r"setting 'other.api_url': a plugin's settings are named under "
                                          r"its own name, such as 'acme.api_url'"):
        portal_app_factory(plugins=["acme"], strict=True)
