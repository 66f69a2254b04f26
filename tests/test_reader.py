"""geo.reader: escaping helpers, links and the article reader's HTML."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import reader
from geo.models import Article, Mention

# --- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<script>", "&lt;script&gt;"),
        ("\"q\" & 's'", "&quot;q&quot; &amp; &#x27;s&#x27;"),
        ("`${x}`", "&#96;&#36;{x}&#96;"),
        ("a\\b", "a&#92;b"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_escape_text(value, expected) -> None:
    assert reader.escape_text(value) == expected


@given(st.text())
def test_escape_text_leaves_no_markup_or_template_syntax(text: str) -> None:
    out = reader.escape_text(text)
    assert not set("<>\"'`$\\") & set(out)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/x", "https://example.org/x"),
        ("HTTP://EXAMPLE.ORG", "HTTP://EXAMPLE.ORG"),
        ("javascript:alert(1)", None),
        ("  javascript:alert(1)", None),
        ("data:text/html,<b>", None),
        ("//example.org", None),
        ("https://exa mple.org", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url(url, expected) -> None:
    assert reader.safe_url(url) == expected


# --- reader --------------------------------------------------------------------------------


def mention(article: Article, surface: str, role: str = "locative", source="gazetteer"):
    start = article.text.index(surface)
    return Mention(
        article.id,
        start,
        start + len(surface),
        surface,
        None if source is None else "p_" + surface.lower(),
        "settlement",
        role,
        1.0,
        2.0,
        0,
        len(article.text),
        True,
        source,
        "because <reason>",
    )


def test_article_html_highlights_and_escapes() -> None:
    text = "Baku said <script>alert(1)</script> troops left Goris."
    article = Article("a", "a.txt", text, body=((0, len(text)),))
    mentions = [mention(article, "Baku", "metonymic"), mention(article, "Goris", source="fallback")]
    out = reader.article_html(
        article,
        mentions,
        sentence_spans=[(0, len(text))],
        target=(0, len(text)),
        hit=(mentions[1].start, mentions[1].end),
    )
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert 'class="rm-m rm-metonymic rm-target"' not in out  # classes are ordered target first
    assert "rm-metonymic" in out and "rm-fallback" in out and "rm-hit" in out
    assert 'id="rm-s-0"' in out and "because &lt;reason&gt;" in out


def test_article_html_marks_boilerplate_and_unresolved() -> None:
    text = "Menu Home\nTroops in Goris."
    article = Article("a", "a.txt", text, body=((10, len(text)),))
    out = reader.article_html(article, [mention(article, "Goris", source=None)])
    assert '<span class="rm-boiler">Menu Home\n</span>' in out
    assert "rm-unresolved" in out and "unresolved" in out


@given(st.text(max_size=60), st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60))))
def test_article_html_keeps_the_text(text: str, spans) -> None:
    import html as html_lib

    article = Article("a", "a.txt", text, body=((0, len(text)),))
    sentences = sorted({(min(a, b), max(a, b)) for a, b in spans if max(a, b) <= len(text)})
    out = reader.article_html(article, [], sentence_spans=sentences)
    visible = re.sub(r"<[^>]+>", "", out)
    assert html_lib.unescape(visible) == text


def test_article_href_encodes_ids() -> None:
    assert reader.article_href("/", "a&b c", at=3) == "/?article=a%26b%20c&at=3"
