"""Around the page (issue 16): "Edit this page" from the plugin's distribution metadata
(``Project-URL: Source``) and its section's ``edit_uri``; the share image a section names
in ``share_image``. Both keys are front matter the portal knows: never reported as typos."""

import re

from portal.testing import assert_pages_render

SECTION = {
    "portal_{name}/__init__.py": """
        def includeme(config):
            config.add_portal_section("{name}", title="Acme", content="portal_{name}:content")
    """,
    "portal_{name}/content/index.md": "---\n{front}---\n# Acme\n\nThe section.\n",
    "portal_{name}/content/start.md": "# Getting started\n\nInstall it.\n",
}


def install(installed_plugin, name, front="", source=None):
    files = {rel.format(name=name): text.replace("{name}", name).replace("{front}", front)
             for rel, text in SECTION.items()}
    metadata = [("Project-URL", f"Source, {source}")] if source else None
    installed_plugin(name, files, metadata=metadata)


def edit_link(html):
    found = re.search(r'<a href="([^"]+)" rel="nofollow">Edit this page</a>', html)
    return found.group(1) if found else None


def test_a_page_links_to_its_source_under_the_sections_edit_uri(installed_plugin, portal_app_factory):
    install(installed_plugin, "edita", front="edit_uri: edit/main/docs/\n",
            source="https://git.example.org/acme/docs")
    app = portal_app_factory(plugins=["edita"])
    assert edit_link(app.get("/edita/start/").text) == \
        "https://git.example.org/acme/docs/edit/main/docs/start.md"
    assert_pages_render(app, "edita")  # edit_uri is no "unknown front matter key"


def test_an_edit_uri_template_places_the_path(installed_plugin, portal_app_factory):
    install(installed_plugin, "editb", front='edit_uri: "-/blob/main/content/{path}?plain=1"\n',
            source="https://git.example.org/acme/docs/")
    app = portal_app_factory(plugins=["editb"])
    assert edit_link(app.get("/editb/start/").text) == \
        "https://git.example.org/acme/docs/-/blob/main/content/start.md?plain=1"


def test_no_edit_link_without_a_source_or_an_edit_uri(installed_plugin, portal_app_factory):
    install(installed_plugin, "editc", front="edit_uri: edit/main/docs/\n")  # no Source URL
    install(installed_plugin, "editd", source="https://git.example.org/acme/docs")  # no edit_uri
    app = portal_app_factory(plugins=["editc", "editd"])
    assert edit_link(app.get("/editc/start/").text) is None
    assert edit_link(app.get("/editd/start/").text) is None


def test_a_section_names_the_image_its_pages_are_shared_with(installed_plugin, portal_app_factory):
    install(installed_plugin, "sharea", front="share_image: /-/static/sharea/card.png\n")
    install(installed_plugin, "shareb")
    app = portal_app_factory(plugins=["sharea", "shareb"])
    own = app.get("/sharea/start/").html.find("meta", property="og:image")["content"]
    default = app.get("/shareb/start/").html.find("meta", property="og:image")["content"]
    assert own == "http://localhost/-/static/sharea/card.png"
    assert "/-/static/portal/images/share.png" in default and default.startswith("http")
    assert_pages_render(app, "sharea")  # share_image is no "unknown front matter key"
