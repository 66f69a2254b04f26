"""The article reader's HTML: every mention highlighted and explained, each sentence linkable."""

from __future__ import annotations

import html
import itertools
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

# --------------------------------------------------------------------------------------------
# Escaping and links (shared with geo.maps: all HTML escaping lives in one place)
# --------------------------------------------------------------------------------------------


def escape_markdown(value: object) -> str:
    r"""Escape any value so Markdown renderers (Streamlit's) show it literally.

    HTML specials become entities and every Markdown punctuation character gets a backslash,
    so untrusted article text can neither format itself nor smuggle in a link.

    Examples
    --------
    >>> print(escape_markdown("<b>*x*</b> [a](javascript:1)"))
    &lt;b&gt;\*x\*&lt;/b&gt; \[a\]\(javascript\:1\)
    >>> print(escape_markdown("`code` & _em_"))
    \`code\` &amp; \_em\_
    >>> escape_markdown(None)
    ''
    """
    text = "" if value is None else str(value)
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in out)


#: Characters with a meaning in (GitHub-flavoured) Markdown.
_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()#+-.!|~$:")


def escape_text(value: object) -> str:
    """Escape any value for HTML text or attributes, and for folium's JS template literals.

    ``html.escape`` plus the backtick, dollar and backslash, which folium pastes inside JS
    template literals (tooltips, popups) where ``${...}`` would run.

    Examples
    --------
    >>> escape_text('<script>alert(1)</script>')
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    >>> escape_text("`${alert(1)}`")
    '&#96;&#36;{alert(1)}&#96;'
    >>> escape_text(None)
    ''
    """
    if value is None:
        return ""
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def safe_url(url: object) -> str | None:
    """``url`` when it is an absolute http(s) address, else ``None`` (no ``javascript:``).

    Examples
    --------
    >>> safe_url("https://example.org/a?b=1")
    'https://example.org/a?b=1'
    >>> safe_url("javascript:alert(1)") is None, safe_url(" JAVASCRIPT:x") is None
    (True, True)
    >>> safe_url("") is None, safe_url(None) is None
    (True, True)
    """
    if not isinstance(url, str):
        return None
    text = url.strip()
    lowered = text.lower()
    if not (lowered.startswith("http://") or lowered.startswith("https://")):
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        return None
    return text


def article_href(base: str, article: str, **params: int | str) -> str:
    """Link to the app's article view: ``<base>?article=<id>&...`` (query values URL-encoded).

    Examples
    --------
    >>> article_href("/", "001_x", at=120)
    '/?article=001_x&at=120'
    >>> article_href("/", "a b&c")
    '/?article=a%20b%26c'
    """
    query = {"article": article, **{k: str(v) for k, v in params.items()}}
    return f"{base}?{urlencode(query, quote_via=quote)}"


# --------------------------------------------------------------------------------------------
# Colours (shared with geo.maps: a kind has one colour on the map and in the reader)
# --------------------------------------------------------------------------------------------

#: Colour per place kind (colour-blind-safe-ish, distinct on a pale basemap).
KIND_COLORS: dict[str, str] = {
    "country": "#4d5b6a",
    "region": "#7b4fa6",
    "settlement": "#1f6fb4",
    "corridor": "#d9480f",
    "border": "#b02a37",
    "incident": "#c2185b",
    "water": "#1c8fc4",
    "landmark": "#2b8a3e",
    # kinds of names only the GeoNames fallback resolved
    "city": "#1f6fb4",
    "admin1": "#7b4fa6",
}
OTHER_COLOR = "#6c757d"


# --------------------------------------------------------------------------------------------
# Article reader (HTML, every value escaped)
# --------------------------------------------------------------------------------------------

READER_CSS = """
.rm-article { white-space: pre-wrap; font: 16px/1.65 Georgia, "Times New Roman", serif;
  color: #1d232a; max-width: 52rem; }
.rm-article .rm-boiler { color: #98a1aa; font-size: 13px; font-family: system-ui, sans-serif; }
.rm-article .rm-m { border-radius: 3px; padding: 0 2px; border-bottom: 2px solid var(--k);
  background: color-mix(in srgb, var(--k) 16%, transparent); cursor: help; }
.rm-article .rm-m.rm-metonymic { border-bottom-style: dashed; font-style: italic;
  background: repeating-linear-gradient(135deg, color-mix(in srgb, var(--k) 14%, transparent) 0 4px,
  transparent 4px 8px); }
.rm-article .rm-m.rm-attributive { border-bottom-style: double; }
.rm-article .rm-m.rm-fallback { outline: 1.5px dotted var(--k); outline-offset: 1px; }
.rm-article .rm-m.rm-unresolved { --k: #868e96; border-bottom: 2px wavy #868e96;
  background: none; }
.rm-article .rm-target { background: #fff3bf; box-shadow: 0 0 0 3px #fff3bf; }
.rm-article .rm-m.rm-hit { outline: 2px solid #f08c00; outline-offset: 1px; }
.rm-key { display: inline-block; margin: 0 10px 4px 0; font-size: 13px; }
"""


def mention_title(mention: Any, place_name: str | None) -> str:
    """Hover text of a highlighted mention: the resolved place and the reason (not escaped).

    Examples
    --------
    >>> from geo.models import Mention
    >>> m = Mention("a", 0, 5, "Goris", "goris", "settlement", "locative", 46.3, 39.5, 0, 9,
    ...             True, "gazetteer", "alias")
    >>> mention_title(m, "Goris")
    'Goris → Goris (settlement) · locative · gazetteer: alias'
    """
    if mention.place_id is None:
        target = "unresolved — not in the gazetteer or the GeoNames fallback"
    else:
        target = f"{place_name or mention.place_id} ({mention.kind or 'place'})"
    source = mention.source or "no source"
    return f"{mention.surface} → {target} · {mention.role} · {source}: {mention.reason}"


def mention_classes(mention: Any) -> str:
    """CSS classes of a highlighted mention: role, source and resolution.

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> mention_classes(S(role="metonymic", source="fallback", place_id="gn:1"))
    'rm-m rm-metonymic rm-fallback'
    >>> mention_classes(S(role="locative", source=None, place_id=None))
    'rm-m rm-unresolved'
    """
    classes = ["rm-m"]
    if mention.role != "locative":
        classes.append(f"rm-{mention.role}")
    if mention.place_id is None:
        classes.append("rm-unresolved")
    elif mention.source == "fallback":
        classes.append("rm-fallback")
    return " ".join(classes)


def article_html(
    article: Any,
    mentions: Sequence[Any],
    *,
    sentence_spans: Sequence[tuple[int, int]] = (),
    place_names: Mapping[str, str] | None = None,
    target: tuple[int, int] | None = None,
    hit: tuple[int, int] | None = None,
) -> str:
    """Render the article's text as escaped HTML with every mention highlighted.

    Each sentence start gets an anchor ``id="rm-s-<offset>"`` so links can land on it; the
    ``target`` span (a sentence) and the ``hit`` span (a mention) are highlighted. Text outside
    ``article.body`` is shown as page boilerplate. Overlapping mentions keep the first.

    Examples
    --------
    >>> from geo.models import Article
    >>> a = Article("a", "a.txt", "<b>Hi</b> there.", body=((0, 16),))
    >>> article_html(a, [], sentence_spans=[(0, 16)])[24:]
    '<a id="rm-s-0" class="rm-anchor"></a>&lt;b&gt;Hi&lt;/b&gt; there.</div>'
    >>> article_html(Article("e", "e.txt", ""), [])
    '<div class="rm-article"></div>'
    """
    text = article.text
    names = place_names or {}
    chosen = _non_overlapping(mentions, len(text))
    cuts = {0, len(text)}
    for s, e in sentence_spans:
        cuts.update((s, e))
    for m in chosen:
        cuts.update((m.start, m.end))
    for s, e in (*article.body, *(x for x in (target, hit) if x)):
        cuts.update((s, e))
    starts = {s for s, _ in sentence_spans}
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    out = ['<div class="rm-article">']
    m_iter = iter(chosen)
    current = next(m_iter, None)
    for a, b in itertools.pairwise(points):
        if a in starts:
            out.append(f'<a id="rm-s-{a}" class="rm-anchor"></a>')
        while current is not None and current.end <= a:
            current = next(m_iter, None)
        classes, attrs = [], ""
        if article.body and not article.in_body(a, b):
            classes.append("rm-boiler")
        if target and target[0] <= a and b <= target[1]:
            classes.append("rm-target")
        if current is not None and current.start <= a and b <= current.end:
            classes.append(mention_classes(current))
            if hit and hit[0] <= current.start and current.end <= hit[1]:
                classes.append("rm-hit")
            color = KIND_COLORS.get(current.kind or "", OTHER_COLOR)
            title = mention_title(current, names.get(current.place_id or ""))
            anchor = f' id="rm-m-{current.start}"' if a == current.start else ""
            attrs = f'{anchor} style="--k:{color}" title="{escape_text(title)}"'
        chunk = escape_text(text[a:b])
        if classes:
            out.append(f'<span class="{" ".join(classes)}"{attrs}>{chunk}</span>')
        else:
            out.append(chunk)
    if len(text) in starts and text:
        out.append(f'<a id="rm-s-{len(text)}" class="rm-anchor"></a>')
    out.append("</div>")
    return "".join(out)


def _non_overlapping(mentions: Sequence[Any], length: int) -> list[Any]:
    chosen: list[Any] = []
    for m in sorted(mentions, key=lambda m: (m.start, -m.end)):
        if 0 <= m.start < m.end <= length and (not chosen or m.start >= chosen[-1].end):
            chosen.append(m)
    return chosen


def reader_key_html() -> str:
    """Render a key to the reader's highlight styles (kinds, roles, fallback, unresolved)."""
    samples = [
        (f"rm-m{' rm-metonymic' if role == 'metonymic' else ''}", KIND_COLORS["settlement"], label)
        for role, label in (("locative", "place"), ("metonymic", "metonymic (the government)"))
    ]
    samples += [
        ("rm-m rm-attributive", KIND_COLORS["region"], "attributive (“of California”)"),
        ("rm-m rm-fallback", KIND_COLORS["settlement"], "resolved by the GeoNames fallback"),
        ("rm-m rm-unresolved", OTHER_COLOR, "unresolved name"),
    ]
    kinds = "".join(
        f'<span class="rm-key"><span class="rm-m" style="--k:{color}">{escape_text(kind)}</span>'
        "</span>"
        for kind, color in KIND_COLORS.items()
    )
    styles = "".join(
        f'<span class="rm-key"><span class="{cls}" style="--k:{color}">{escape_text(label)}'
        "</span></span>"
        for cls, color, label in samples
    )
    return f'<div class="rm-article" style="white-space:normal">{kinds}<br>{styles}</div>'
