"""Material for MkDocs' Markdown in the content renderer (portal/content/extensions): each
construct as pymdownx and Material document it, rendered from a content folder the way a
plugin's pages are, and what the portal does not render reported as located warnings."""

import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from portal.content import load_folder, make_markdown
from portal.plugins.checks import section_problems


def folder(tmp_path, pages, files=None):
    content = tmp_path / "pkg" / "content"
    content.mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for rel, text in {"index.md": "# Home\n", **pages}.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    for rel, text in (files or {}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return content


def render(tmp_path, text, files=None):
    """(the page's HTML as a soup, the page) for one page ``text``."""
    root = load_folder(folder(tmp_path, {"page.md": "# Page\n\n" + textwrap.dedent(text)}, files), "s")
    (doc,) = [c for c in root.children if c.path == ("page",)]
    return BeautifulSoup(doc.html, "html.parser"), doc


# Admonitions and details -------------------------------------------------------------------


@pytest.mark.parametrize("written, classes, title", [
    ('!!! note', ["admonition", "note"], "Note"),
    ('!!! tip "Read me"', ["admonition", "tip"], "Read me"),
    ('!!! hint', ["admonition", "tip", "hint"], "Hint"),
    ('!!! caution "Hot"', ["admonition", "warning", "caution"], "Hot"),
    ('!!! faq', ["admonition", "question", "faq"], "Faq"),
    ('!!! tldr', ["admonition", "abstract", "tldr"], "Tldr"),
    ('!!! info inline end "Aside"', ["admonition", "info", "inline", "end"], "Aside"),
    ('!!! custom "Mine"', ["admonition", "custom"], "Mine"),
    ('!!! quote ""', ["admonition", "quote"], None),
])
def test_admonitions_have_their_type_class_and_title(tmp_path, written, classes, title):
    html, doc = render(tmp_path, f"{written}\n    Body *text*.\n\nAfter.\n")
    box = html.select_one("div.admonition")
    assert box["class"] == classes
    heading = box.select_one(".admonition-title")
    assert (heading.get_text() if heading else None) == title
    assert box.select_one("p em").get_text() == "text"
    assert html.find_all("p")[-1].get_text() == "After."  # the body ended with the indent
    assert doc.warnings == []


def test_every_material_type_and_alias_gets_its_types_class():
    from portal.content.extensions.admonitions import CANONICAL

    md = make_markdown()
    for alias, kind in CANONICAL.items():
        box = BeautifulSoup(md.render(f"!!! {alias}\n    x\n"), "html.parser").div
        assert box["class"][:2] == ["admonition", kind], alias
    assert sorted(set(CANONICAL.values())) == sorted([
        "abstract", "bug", "danger", "example", "failure", "info", "note", "question", "quote",
        "success", "tip", "warning"])


def test_collapsible_blocks_are_details_closed_or_open_and_nest(tmp_path):
    html, _ = render(tmp_path, """
        ??? note "Closed"
            Hidden text.

        ???+ warning
            Open text.

            !!! danger
                Inside.

                ??? tip "Deeper"
                    Deepest.
        """)
    closed, opened, deeper = html.select("details")
    assert closed["class"] == ["admonition", "note"] and not closed.has_attr("open")
    assert closed.summary["class"] == ["admonition-title"] and closed.summary.get_text() == "Closed"
    assert opened.has_attr("open") and opened.summary.get_text() == "Warning"
    assert opened.select_one("div.danger details.tip p").get_text() == "Deepest."
    assert deeper.summary.get_text() == "Deeper"


# Content tabs ---------------------------------------------------------------------------------


def test_adjacent_tabs_form_one_set_and_a_bang_starts_another(tmp_path):
    html, _ = render(tmp_path, '''
        === "Flask"

            ```python
            app = Flask(__name__)
            ```

        === "Django"
            Django **text**.

        ===! "Again"
            A new set.

        ===+ "Chosen"
            Shown first.

        Paragraph after.
        ''')
    first, second = html.select(".tabbed-set")
    assert first["data-tabs"] == "1:2" and second["data-tabs"] == "2:2"
    assert [lab.get_text() for lab in first.select("label")] == ["Flask", "Django"]
    assert first.select_one(".tabbed-block pre code.language-python") is not None
    assert first.select(".tabbed-block")[1].strong.get_text() == "text"
    radios = second.select("input")
    assert [r["id"] for r in radios] == ["__tabbed_2_1", "__tabbed_2_2"]
    assert [r.has_attr("checked") for r in radios] == [False, True]  # ===+ is shown first
    assert html.find_all("p")[-1].get_text() == "Paragraph after."


def test_a_tab_label_must_be_quoted_as_pymdownx_requires(tmp_path):
    html, _ = render(tmp_path, "=== Flask\n    text\n")
    assert html.select(".tabbed-set") == []


def test_tabs_nest_in_admonitions_and_lists(tmp_path):
    html, _ = render(tmp_path, '''
        !!! example
            === "A"
                one

            === "B"
                two

        1.  Step:

            === "C"
                three
        ''')
    assert len(html.select("div.admonition .tabbed-set .tabbed-block")) == 2
    assert html.select_one("ol li .tabbed-set label").get_text() == "C"


# Code blocks -------------------------------------------------------------------------------


def test_title_file_highlighted_lines_and_line_numbers(tmp_path):
    html, doc = render(tmp_path, '''
        ```python title="app.py" hl_lines="1 3-4" linenums="10"
        a = 1
        b = 2
        c = 3
        d = 4
        ```

        ```python file="config/settings.py" mode="append"
        DEBUG = False
        ```

        ``` { .yaml title="ci.yml" }
        key: value
        ```
        ''')
    blocks = html.select(".code-titled")
    assert [b.select_one(".code-title").get_text() for b in blocks] == ["app.py", "config/settings.py", "ci.yml"]
    assert "append" not in html.get_text() and "mode" not in str(blocks[1].select_one(".code-title"))
    lines = blocks[0].select("span.line")
    assert [line["data-line"] for line in lines] == ["10", "11", "12", "13"]
    # hl_lines counts from the block's first line, whatever linenums starts at (pymdownx).
    assert ["hll" in line["class"] for line in lines] == [True, False, True, True]
    assert blocks[2].select_one("code.language-yaml") is not None
    # The harness reads the attributes from the whole info string.
    assert [(c.lang, c.info) for c in doc.code] == [
        ("python", 'python title="app.py" hl_lines="1 3-4" linenums="10"'),
        ("python", 'python file="config/settings.py" mode="append"'),
        ("yaml", '{ .yaml title="ci.yml" }'),
    ]


def test_plain_blocks_render_as_before_and_linenums_zero_turns_numbers_off(tmp_path):
    html, _ = render(tmp_path, '''
        ```python
        x = 1
        ```

        ```python linenums="0"
        y = 2
        ```

        ```nosuchlang
        <raw>
        ```
        ''')
    first, second, third = html.select("pre")
    assert str(first).startswith('<pre class="highlight" data-lang="python"><code class="language-python">')
    assert second.select("span.line") == [] and "linenums" not in second["class"]
    assert third.code["class"] == ["language-nosuchlang"] and third.get_text() == "<raw>\n"


def test_code_annotations_become_numbered_links_to_the_notes_below(tmp_path):
    html, _ = render(tmp_path, '''
        ```yaml
        theme:
          name: material  # (1)!
          features: []    # the list (2)
        ```

        1.  The theme's **name**.
        2.  Features to turn on.

        ```python
        x = 1  # (1)
        ```

        Text between.

        1. An ordinary list.
        ''')
    first, second = html.select("pre")
    markers = first.select("a.code-annotation")
    assert [(m["data-n"], m["href"], m["id"]) for m in markers] == [
        ("1", "#__code_1_annotation-1", "__code_1_annotation-ref-1"),
        ("2", "#__code_1_annotation-2", "__code_1_annotation-ref-2")]
    assert "# (1)!" not in first.get_text() and "# the list" in first.get_text()
    notes = html.select_one("ol.code-annotations")
    assert [li["id"] for li in notes.select("li")] == ["__code_1_annotation-1", "__code_1_annotation-2"]
    assert notes.select_one("a.code-annotation__back")["href"] == "#__code_1_annotation-ref-1"
    # Not followed by a list: the comment stays as written.
    assert second.select("a.code-annotation") == [] and "# (1)" in second.get_text()
    assert len(html.select("ol.code-annotations")) == 1


def test_inline_code_highlighting(tmp_path):
    html, _ = render(tmp_path, "Call `#!python range(3)` or `#!nosuch x` or `#!`.\n")
    first, second, third = html.select("code")
    assert first["class"] == ["highlight", "language-python"] and first.select_one("span.nb").get_text() == "range"
    assert second.get_text() == "#!nosuch x" and third.get_text() == "#!"


# Snippets ------------------------------------------------------------------------------------


def test_snippets_come_from_the_package_whole_by_lines_or_by_section(tmp_path):
    html, doc = render(tmp_path, '''
        --8<-- "snippets/intro.md"

        ```python
        --8<-- "snippets/code.py:setup"
        ```

        ```text
        --8<-- "snippets/code.py:2:2"
        ```

        !!! note
            --8<-- "snippets/intro.md"

        ;--8<-- "snippets/intro.md"

        --8<--
        snippets/intro.md
        --8<--
        ''', files={
        "pkg/snippets/intro.md": "Included *text*.\n",
        "pkg/snippets/code.py": "# --8<-- [start:setup]\nx = 1\n# --8<-- [end:setup]\ny = 2\n",
    })
    assert [p.get_text() for p in html.select("p")].count("Included text.") == 3
    assert html.select_one("div.admonition em").get_text() == "text"
    first, second = html.select("pre code")
    assert first.get_text() == "x = 1\n" and second.get_text() == "x = 1\n"
    assert '--8<-- "snippets/intro.md"' in html.get_text()  # escaped: shown as written
    assert doc.warnings == []


def test_a_snippet_outside_the_package_or_missing_is_a_located_problem(tmp_path):
    (tmp_path / "secret.txt").write_text("do not show")
    html, doc = render(tmp_path, '''
        Intro.

        --8<-- "../secret.txt"

        --8<-- "../../secret.txt"

        --8<-- "nowhere.md"
        ''')
    assert "do not show" not in html.get_text()
    lines = [(w.line, w.message) for w in doc.warnings]
    assert lines == [
        (6, "snippet '../secret.txt' is outside the plugin's package pkg"),
        (8, "snippet '../../secret.txt' is outside the plugin's package pkg"),
        (10, "snippet 'nowhere.md': no such file in the plugin's package pkg"),
    ]
    assert all(str(w).startswith(str(doc.source)) for w in doc.warnings)


# Lists, footnotes, abbreviations, attributes ---------------------------------------------------


def test_footnotes_definition_lists_task_lists_and_abbreviations(tmp_path):
    html, _ = render(tmp_path, '''
        The HTML spec[^n] and HTMLX.

        Term
        :   Its definition.

        - [x] done
        - [ ] to do

        [^n]: A note.

        *[HTML]: Hyper Text Markup Language
        ''')
    assert html.select_one("sup.footnote-ref a")["href"] == "#fn1"
    assert html.select_one("li#fn1").get_text().startswith("A note.")
    assert (html.dt.get_text(), html.dd.get_text()) == ("Term", "Its definition.")
    assert [i.has_attr("checked") for i in html.select("li.task-list-item input")] == [True, False]
    (abbr,) = html.select("abbr")  # HTMLX is another word
    assert (abbr.get_text(), abbr["title"]) == ("HTML", "Hyper Text Markup Language")
    assert "*[HTML]" not in html.get_text()


def test_attribute_lists_on_headings_paragraphs_images_and_links(tmp_path):
    root = load_folder(folder(tmp_path, {
        "page.md": """
            # Page

            ## Install it { #setup .wide }

            A paragraph.
            {: .lead }

            ![Logo](/-/static/s/logo.svg){ width="64" }

            [Start](#setup){ .md-button }
            """,
        "other.md": "# Other\n\nSee [install](page.md#setup).\n",
    }), "s")
    page, other = (next(c for c in root.children if c.path == (n,)) for n in ("page", "other"))
    html = BeautifulSoup(page.html, "html.parser")
    heading = html.select_one("h2")
    assert (heading["id"], heading["class"]) == ("setup", ["wide"])
    assert heading.get_text().startswith("Install it") and "{" not in heading.get_text()
    assert [h.id for h in page.toc] == ["setup"]
    assert html.select_one("p.lead").get_text() == "A paragraph."
    assert html.select_one("img")["width"] == "64"
    assert html.select_one("a.md-button")["href"] == "#setup"
    assert other.warnings == [] and page.warnings == []  # the custom id is a link target


# Inline formatting, keys, emoji and icons ----------------------------------------------------


def test_mark_ins_del_sub_sup_and_keys():
    html = BeautifulSoup(make_markdown().render(
        "==marked== ^^added^^ ~~gone~~ H~2~O x^2^ ++ctrl+alt+del++ ++cmd+\"K\"++ ++f5++\n"), "html.parser")
    assert [(t.name, t.get_text()) for t in html.select("mark, ins, del, sub, sup")] == [
        ("mark", "marked"), ("ins", "added"), ("del", "gone"), ("sub", "2"), ("sup", "2")]
    keys = html.select(".keys")
    assert [[k.get_text() for k in group.select("kbd")] for group in keys] == [
        ["Ctrl", "Alt", "Del"], ["Cmd", "K"], ["F5"]]
    assert keys[0].kbd["class"] == ["key-ctrl"]


def test_emoji_are_text_and_icons_are_shipped_svg(tmp_path):
    html, doc = render(tmp_path, "Ship it :rocket: :+1: :material-check: at 10:30:00.\n")
    assert [e.get_text() for e in html.select("span.emoji")] == ["🚀", "👍"]
    icon = html.select_one("span.icon--material-check svg")
    assert icon["aria-hidden"] == "true" and "http" not in str(icon).replace("http://www.w3.org/2000/svg", "")
    assert "10:30:00" in html.get_text() and doc.warnings == []
    shipped = Path(__file__).parents[1] / "portal" / "static" / "icons" / "material"
    assert (shipped / "check.svg").is_file()


# What the portal does not render: readable text and a located problem ---------------------------


def test_unknown_syntax_degrades_to_text_and_is_reported_where_it_is(tmp_path):
    html, doc = render(tmp_path, '''
        ::: taskq.Queue

        Hello {{ config.site_name }}.

        An {++insertion++} and {~~old~>new~~} here.

        Energy $E = mc^2$ here.

        :nosuchemoji: and :material-nosuch-icon:

        ```mermaid
        graph TD; A-->B
        ```

        /// note
        Text
        ///
        ''')
    text = html.get_text()
    for shown in ("::: taskq.Queue", "{{ config.site_name }}", "{++insertion++}", "$E = mc^2$",
                  ":nosuchemoji:", "graph TD; A-->B"):
        assert shown in text, shown
    found = [(w.line, w.message.split(" ")[0]) for w in doc.warnings]
    # Lines of the page's file: "# Page", a blank line, then the text above from line 4.
    assert found == [(4, "mkdocstrings'"), (6, "template"), (8, "critic"), (10, "math"),
                     (12, "unknown"), (12, "unknown"), (14, "'mermaid'"), (18, "pymdownx.blocks")]


def test_check_prints_the_renderers_warnings(tmp_path):
    from portal.resources import Section

    root = load_folder(folder(tmp_path, {"page.md": "# P\n\n::: mod.thing\n"}), "s")
    section = Section("s", root, title="S", summary="", order=1, plugin=None, spec="pkg:content")
    (problem,) = section_problems(None, section)
    assert problem.endswith("page.md:3: mkdocstrings' '::: mod.thing' is not supported: shown as text")


@pytest.mark.parametrize("text", [
    "!!!\n", "???+\n", '=== "\n', "=== \"\"\n", "--8<--\n", '--8<-- ""\n', "++\n", "++ctrl+\n",
    "==\n", "^^^^\n", "{: }\n", "## {#}\n", "``` {\n```\n", '```python hl_lines="x-" linenums="a"\nx\n```\n',
    "*[]: x\n", ":::\n", "```python\n# (1)!\n```\n\n1. a\n", "!!! note\n\n\n\n    late\n",
])
def test_malformed_syntax_never_crashes(tmp_path, text):
    md = make_markdown()
    env = {"source": tmp_path / "x.md", "content": tmp_path}
    assert isinstance(md.render(text, env), str)
