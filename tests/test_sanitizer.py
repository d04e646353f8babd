"""Reader Markdown is hostile until proven otherwise: what ``render_comment`` lets
through, checked by parsing its output (not by looking for strings one hopes absent)."""

from html.parser import HTMLParser

import pytest

from portal.discussion.sanitizer import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    count_links,
    render_comment,
    sanitize,
)

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">click</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg/onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "<object data=evil.swf></object>",
    "<style>body{display:none}</style>",
    "<form action=https://evil.example><input name=p></form>",
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](%6Aavascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](https://tracker.example/p.gif)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    "[relative](/-/moderation/)",
    "[protocol-relative](//evil.example)",
    "[file](file:///etc/passwd)",
    '[quote](https://ok.example" onmouseover="alert(1))',
    "[ref][x]\n\n[x]: javascript:alert(1)",
    "<a href='https://ok.example'>unclosed <b>bold <i>italic",
    "</p></div></article><script>alert(1)</script>",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<details open ontoggle=alert(1)>",
    "\x00<script>alert(1)</script>",
    "[a](https://ok.example)" * 3 + "<a href=javascript:alert(1)>x</a>",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}


class Collect(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def parsed(html):
    parser = Collect()
    parser.feed(html)
    parser.close()
    return parser.tags


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_only_allowed_tags_attributes_and_urls(source):
    html = render_comment(source)
    for tag, attrs in parsed(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (tag, name, html)
            assert not name.startswith("on")
            if name in URL_ATTRIBUTES:
                assert value.startswith(("http://", "https://", "mailto:")), (value, html)
        if tag == "a":
            assert attrs.get("rel") == "nofollow ugc noopener", html


@pytest.mark.parametrize("source", HOSTILE)
def test_nothing_executable_survives_as_markup(source):
    tags = {tag for tag, _ in parsed(render_comment(source))}
    assert not tags & {"script", "img", "svg", "iframe", "object", "style", "form", "input",
                       "meta", "math", "details", "div", "i", "b"}


def test_raw_html_is_shown_as_text_not_dropped():
    html = render_comment("Use <b>tags</b> like <script>")
    assert html == "<p>Use &lt;b&gt;tags&lt;/b&gt; like &lt;script&gt;</p>"


def test_links_that_are_allowed_keep_working_with_the_ugc_rel():
    html = render_comment("[docs](https://docs.example/x?a=1&b=2) and "
                          "<mailto:someone@example.com> and [plain](http://x.example)")
    links = [attrs for tag, attrs in parsed(html) if tag == "a"]
    assert [a["href"] for a in links] == ["https://docs.example/x?a=1&b=2",
                                          "mailto:someone@example.com", "http://x.example"]
    assert all(a["rel"] == "nofollow ugc noopener" for a in links)
    assert count_links(html) == 3


def test_a_refused_link_stays_as_the_text_the_reader_typed():
    assert render_comment("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>"


def test_ordinary_markdown_still_formats():
    html = render_comment("**bold** *em* `code`\n\n> quote\n\n- a\n- b\n\n```\nx < y\n```")
    tags = [tag for tag, _ in parsed(html)]
    for tag in ("strong", "em", "code", "blockquote", "ul", "li", "pre"):
        assert tag in tags
    assert "x &lt; y" in html


def test_the_sanitizer_alone_stops_what_markdown_would_never_produce():
    dirty = ('<p onclick="x"><a href="javascript:alert(1)">a</a><a href="data:x">b</a>'
             '<a href="https://ok.example" target="_blank">c</a><img src=x></p>')
    tags = parsed(sanitize(dirty))
    assert [t for t, _ in tags] == ["p", "a", "a", "a"]
    assert [a.get("href") for t, a in tags if t == "a"] == [None, None, "https://ok.example"]
    assert all("target" not in a and "onclick" not in a for _, a in tags)
