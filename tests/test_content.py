"""The Markdown renderer and the content-folder loader (portal/content.py)."""

import textwrap
from pathlib import Path

import pytest

from portal.content import ContentError, load_folder, pygments_css


def write(folder, files):
    for rel, text in files.items():
        path = Path(folder) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def page(root, *path):
    doc = root
    for name in path:
        doc = next(c for c in doc.children if c.path[-1] == name)
    return doc


def test_front_matter_gives_title_summary_order_tags_and_date(tmp_path):
    root = load_folder(write(tmp_path, {
        "index.md": """
            ---
            title: Acme
            summary: All about Acme.
            tags: [a, b]
            updated: 2026-11-02
            ---
            Hello.
            """,
    }), "acme")
    assert root.title == "Acme"
    assert root.summary == "All about Acme."
    assert root.tags == ("a", "b")
    assert root.updated.isoformat() == "2026-11-02"
    assert "<p>Hello.</p>" in root.html
    assert "---" not in root.html


def test_first_heading_is_the_title_and_is_not_repeated_in_the_body(tmp_path):
    root = load_folder(write(tmp_path, {"index.md": "# Getting started\n\nText.\n"}), "s")
    assert root.title == "Getting started"
    assert "<h1" not in root.html
    assert root.warnings == []


def test_page_without_any_title_is_named_from_its_file_with_a_warning(tmp_path):
    root = load_folder(write(tmp_path, {"index.md": "# S\n", "deep-dive.md": "Just text.\n"}), "s")
    doc = page(root, "deep-dive")
    assert doc.title == "Deep dive"
    assert any("no title" in w for w in doc.warnings)


def test_pages_are_ordered_by_front_matter_order_then_title(tmp_path):
    root = load_folder(write(tmp_path, {
        "index.md": "# S\n",
        "zeta.md": "---\norder: 1\n---\n# Zeta\n",
        "alpha.md": "---\norder: 2\n---\n# Alpha\n",
        "beta.md": "---\norder: 2\n---\n# Beta\n",
    }), "s")
    assert [c.title for c in root.children] == ["Zeta", "Alpha", "Beta"]


def test_headings_get_ids_permalinks_and_a_table_of_contents(tmp_path):
    root = load_folder(write(tmp_path, {
        "index.md": """
            # T

            ## First part

            ### A detail with `code`

            ## First part
            """,
    }), "s")
    assert [(h.level, h.id, h.text) for h in root.toc] == [
        (2, "first-part", "First part"),
        (3, "a-detail-with-code", "A detail with code"),
        (2, "first-part-1", "First part"),
    ]
    assert '<h2 id="first-part">' in root.html
    assert 'href="#first-part" aria-label="Permalink to First part"' in root.html


def test_tables_admonitions_and_highlighted_code(tmp_path):
    root = load_folder(write(tmp_path, {
        "index.md": """
            # T

            | a | b |
            |---|---|
            | 1 | 2 |

            !!! warning "Careful"
                Mind the gap.

            ```python
            def f():
                return 1
            ```

            ```nosuchlanguage
            <raw>
            ```
            """,
    }), "s")
    assert "<table>" in root.html and "<td>2</td>" in root.html
    assert '<div class="admonition warning">' in root.html
    assert '<p class="admonition-title">Careful</p>' in root.html
    assert '<pre class="highlight" data-lang="python"><code class="language-python">' in root.html
    assert '<span class="k">def</span>' in root.html
    # An unknown language is shown escaped, not interpreted.
    assert "&lt;raw&gt;" in root.html


def test_raw_html_in_plugin_content_is_trusted(tmp_path):
    root = load_folder(write(tmp_path, {"index.md": "# T\n\n<kbd>Ctrl</kbd>\n"}), "s")
    assert "<kbd>Ctrl</kbd>" in root.html


def test_relative_links_resolve_to_the_urls_pages_are_served_at(tmp_path):
    root = load_folder(write(tmp_path, {
        "index.md": "# S\n\n[q](quickstart.md) [a](advanced/index.md) [d](advanced/deep.md#part)\n",
        "quickstart.md": "# Q\n\n[home](index.md) [deep](advanced/deep.md) [top](#x) [ext](https://example.org/a.md)\n",
        "advanced/index.md": "# Adv\n\n[up](../quickstart.md) [sib](deep.md) [folder](./)\n",
        "advanced/deep.md": "# Deep\n\n## Part\n\n[other section](/flask/testing.md) [other landing](/flask/)\n",
    }), "s")
    assert 'href="quickstart/"' in root.html
    assert 'href="advanced/"' in root.html
    assert 'href="advanced/deep/#part"' in root.html
    quick = page(root, "quickstart")
    assert 'href="../"' in quick.html
    assert 'href="../advanced/deep/"' in quick.html
    assert 'href="#x"' in quick.html
    assert 'href="https://example.org/a.md"' in quick.html
    adv = page(root, "advanced")
    assert 'href="../quickstart/"' in adv.html and 'href="deep/"' in adv.html
    deep = page(root, "advanced", "deep")
    # /s/advanced/deep/ is three levels below the site root.
    assert 'href="../../../flask/testing/"' in deep.html
    assert 'href="../../../flask/"' in deep.html
    assert all(not d.warnings for d in (root, quick, adv, deep))


def test_broken_links_and_anchors_are_warnings_naming_the_file(tmp_path):
    root = load_folder(write(tmp_path, {
        "index.md": "# S\n\n[gone](missing.md) [bad anchor](other.md#nope) [escape](../x.md)\n",
        "other.md": "# O\n\n## Real\n",
    }), "s")
    text = "\n".join(root.warnings)
    assert "broken link 'missing.md'" in text
    assert "other.md#nope: no heading with that id" in text
    assert "leaves the content folder" in text
    assert "index.md" in text


def test_invalid_front_matter_is_an_error_with_file_and_line(tmp_path):
    write(tmp_path, {"index.md": "---\ntitle: ok\nsummary: [unclosed\n---\n# T\n"})
    with pytest.raises(ContentError) as exc:
        load_folder(tmp_path, "s")
    message = str(exc.value)
    assert f"{tmp_path / 'index.md'}:" in message and "invalid front matter" in message


def test_front_matter_of_the_wrong_type_is_an_error(tmp_path):
    write(tmp_path, {"index.md": "---\norder: first\n---\n# T\n"})
    with pytest.raises(ContentError, match="'order' must be int"):
        load_folder(tmp_path, "s")


def test_missing_folder_missing_index_and_bad_names_are_errors(tmp_path):
    with pytest.raises(ContentError, match="does not exist"):
        load_folder(tmp_path / "nowhere", "s")
    write(tmp_path / "noindex", {"page.md": "# P\n"})
    with pytest.raises(ContentError, match="has no index.md"):
        load_folder(tmp_path / "noindex", "s")
    write(tmp_path / "badname", {"index.md": "# S\n", "Quick Start.md": "# Q\n"})
    with pytest.raises(ContentError, match="cannot be a URL segment"):
        load_folder(tmp_path / "badname", "s")


def test_unreadable_page_is_an_error(tmp_path):
    write(tmp_path, {"index.md": "# S\n"})
    (tmp_path / "latin.md").write_bytes(b"# Caf\xe9\n")
    with pytest.raises(ContentError, match="cannot be read"):
        load_folder(tmp_path, "s")


def test_a_folder_is_rendered_once_until_a_file_changes(tmp_path):
    write(tmp_path, {"index.md": "# One\n"})
    first = load_folder(tmp_path, "s")
    assert load_folder(tmp_path, "s") is first
    write(tmp_path, {"index.md": "# Two, longer\n"})
    assert load_folder(tmp_path, "s").title == "Two, longer"


def test_search_chunks_and_word_count(tmp_path):
    root = load_folder(write(tmp_path, {
        "index.md": "# T\n\nIntro words here.\n\n## Setup\n\nInstall the thing.\n\n```python\nx = 1\n```\n",
    }), "s")
    assert [(c.heading.id if c.heading else None) for c in root.chunks] == [None, "setup"]
    assert "Install the thing." in root.chunks[1].text and "x = 1" in root.chunks[1].text
    assert root.words == 6
    assert root.reading_minutes == 1


def test_shipped_pygments_stylesheet_is_the_generated_one():
    shipped = Path(__file__).parents[1] / "portal" / "static" / "css" / "pygments.css"
    assert shipped.read_text(encoding="utf-8") == pygments_css()
