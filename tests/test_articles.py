"""Tests of geo.articles: decoding, metadata, body vs boilerplate, sentences, safe paths."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from geo import articles, settings
from geo.articles import (
    article_paths,
    classify_paragraph,
    decode_article,
    find_headline,
    front_matter_end,
    is_date_line,
    is_page_chrome,
    line_spans,
    load_article,
    load_articles,
    load_sidecar,
    parse_article,
    reads_as_prose,
    safe_article_path,
    segment_paragraph,
    sentence_span,
    sentences,
)
from geo.errors import ArticleError, PathError
from geo.index import _read_path as read_indexed_path
from geo.models import Article

DATA = Path(__file__).parent / "data" / "articles"
SEEDS = settings.PROJECT_ROOT / "seeds"
SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))


def _yaml(path: Path):
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seeds() -> dict[str, Article]:
    loaded, problems = load_articles([SEEDS])
    assert problems == []
    return {a.id: a for a in loaded}


def _body_texts(article: Article) -> list[str]:
    return [article.text[s:e] for s, e in article.body]


# ------------------------------------------------------------------------------ seeds, body


def test_every_seed_loads_with_sidecar_metadata(seeds):
    assert sorted(seeds) == SEED_IDS
    assert seeds["001_b795981f1a56da71"].published == dt.date(2021, 5, 14)
    assert seeds["002_153932cd7976b42b"].published_precision == "month"
    assert seeds["003_d19d5538abf86262"].published is None
    assert {a.language for a in seeds.values()} == {"en"}
    assert all(a.published_how for a in seeds.values())


GOLD = _yaml(DATA / "seed_body.yaml")


@pytest.mark.parametrize("seed_id", SEED_IDS)
def test_every_line_of_every_seed_is_labelled_right(seeds, seed_id):
    article = seeds[seed_id]
    outside = GOLD[seed_id]
    body = set(article.body)
    used = set()
    wrong = []
    for start, end in line_spans(article.text):
        line = article.text[start:end]
        labels = [prefix for prefix in outside if line.startswith(prefix)]
        used.update(labels)
        if bool(labels) == ((start, end) in body):
            wrong.append(("kept" if labels else "dropped") + f": {line[:70]}")
    assert wrong == []
    assert used == set(outside), "a gold label matches no line"


@pytest.mark.parametrize(
    ("seed_id", "phrase"),
    [
        ("002_153932cd7976b42b", "Romanian Constitutional Court"),
        ("002_153932cd7976b42b", "Great March of Return"),
        ("002_153932cd7976b42b", "forced President Bashar al-Assad out in Syria"),
        ("002_153932cd7976b42b", "tax-exempt donation"),
        ("000_4a2e8bf07db3be1a", "It belongs to the Member"),
        ("003_d19d5538abf86262", "Please enter your comment!"),
        ("003_d19d5538abf86262", "is a platform that showcases stories"),
        ("004_2e719cd2e783e3e1", "Source link"),
    ],
)
def test_teasers_forms_and_appeals_are_outside_the_body(seeds, seed_id, phrase):
    article = seeds[seed_id]
    start = article.text.index(phrase)
    assert not article.in_body(start, start + len(phrase))


def test_body_spans_are_stripped_sorted_and_point_into_the_text(seeds):
    for article in seeds.values():
        assert list(article.body) == sorted(article.body)
        for start, end in article.body:
            piece = article.text[start:end]
            assert piece == piece.strip() and piece


@pytest.mark.parametrize(
    ("seed_id", "title"),
    [
        (
            "000_4a2e8bf07db3be1a",
            "Blinken warned lawmakers Azerbaijan may invade Armenia in coming weeks",
        ),
        ("002_153932cd7976b42b", "Ending US military assistance to Azerbaijan immediately"),
        (
            "003_d19d5538abf86262",
            "Azerbaijan’s President Accuses U.S. of Supporting Armenia in Border Dispute",
        ),
    ],
)
def test_headline_skips_page_chrome(seeds, seed_id, title):
    article = seeds[seed_id]
    start, end = article.title_span
    assert article.text[start:end] == title
    assert article.in_body(start, end)


@pytest.mark.parametrize(
    ("page", "headline"),
    [
        ("30.1 C\nMonday, July 15, 2024\n\nTalks in Baku stall\nBody.", "Talks in Baku stall"),
        (
            "Follow us on social\nIMG_20230919_1234.jpg\nArmenia votes today\n",
            "Armenia votes today",
        ),
        ("Armenia votes.\nMore text.", "Armenia votes."),  # first line is the headline
        ("Follow us on social\nMust read\n", None),
        ("", None),
    ],
)
def test_find_headline(page, headline):
    span = find_headline(page, line_spans(page))
    assert (page[span[0] : span[1]] if span else None) == headline


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("30.1 C", True),
        ("-4 °F", True),
        ("Monday, July 15, 2024", True),
        ("Updated: May 15 at 1:30 p.m.", True),
        ("Follow us on social", True),
        ("Shutterstock_453590944-scaled", True),
        ("Please enter your name here", True),
        ("Source link", True),
        ("keep readingShow less", True),
        ("Top photo credit: Palestinians take part in a demonstration.", True),
        ("Blinken warned lawmakers Azerbaijan may invade Armenia", False),
        ("Baku", False),
        ("May 15 was a quiet day in Yerevan.", False),
        ("", False),
    ],
)
def test_is_page_chrome(line, expected):
    assert is_page_chrome(line) is expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [("Monday, July 15, 2024", True), ("12/05/2021 07:53", True), ("Syunik 2023", False)],
)
def test_is_date_line(line, expected):
    assert is_date_line(line) is expected


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("Comments", "bad"),
        ("Thanks to our readers, we reached new page views. Support our journalism.", "bad"),
        ("Analysis | Europe", "short"),
        ("Republic of Azerbaijan Ministry of Defense", "short"),
        ("He denied it.", "short"),
        ("Officials denied the report on Monday.", "near"),
        ("Baku has proposed a route to the Nakhichevan exclave through Syunik.", "good"),
        ("The fund received a donation of $5 million from the government of Armenia.", "good"),
    ],
)
def test_classify_paragraph(paragraph, expected):
    assert classify_paragraph(paragraph) == expected


def test_related_tail_after_a_boundary_is_not_body():
    page = (
        "Talks in Baku\n"
        "Leaders met in Baku on Monday to discuss the border and the road to Nakhchivan.\n"
        "They agreed to meet again next month in Yerevan, officials from both sides said.\n"
        "Related articles\n"
        "Floods in Romania\n"
        "Heavy rain flooded villages in Romania on Sunday, officials said, and roads closed.\n"
    )
    article = parse_article(page, article_id="x", path="x.txt")
    assert _body_texts(article) == [
        "Talks in Baku",
        "Leaders met in Baku on Monday to discuss the border and the road to Nakhchivan.",
        "They agreed to meet again next month in Yerevan, officials from both sides said.",
    ]


def test_page_without_prose_has_only_its_title_as_body():
    article = parse_article("Home\nNews\nSports\n", article_id="x", path="x.txt")
    assert _body_texts(article) == ["Home"]


# ------------------------------------------------------------------------------ short paragraphs


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("Azerbaijani forces shelled Goris overnight.", True),
        ("Kapan was also hit.", True),
        ("He denied it.", True),
        ("“We will rebuild,” she said.", True),
        ("Talks continue in Baku.", True),
        ("Latest news.", False),  # two words
        ("Subscribe to our newsletter.", False),  # boilerplate lexicon
        ("Support our journalism today.", False),  # one weak boilerplate phrase is enough
        ("Republic of Azerbaijan Ministry of Defense", False),  # no sentence end
        ("Goris and Kapan shelled overnight", False),  # a headline, not a sentence
        ("The Ministry Of Defense.", False),  # no lower-case verb-like word
        ("nothing capitalised here was said.", False),
        ("Updated: May 15.", False),  # page chrome
        ("", False),
    ],
)
def test_reads_as_prose(paragraph, expected):
    assert reads_as_prose(paragraph) is expected


BRIEF_BODY = [
    "Goris and Kapan shelled overnight",
    "Azerbaijani forces shelled Goris overnight.",
    "Two houses were damaged, the mayor said.",
    "Kapan was also hit.",
]


@pytest.mark.parametrize("name", ["brief.txt", "brief_crlf.txt"])
def test_brief_of_short_paragraphs_is_all_body(name):
    article = load_article(DATA / name)
    assert ("\r\n" in article.text) is name.endswith("_crlf.txt")
    assert _body_texts(article) == BRIEF_BODY  # the furniture after the brief stays out


def test_short_opening_and_closing_paragraphs_join_the_body():
    article = load_article(DATA / "short_edges.txt")  # CRLF, date line after the headline
    body = _body_texts(article)
    assert body[0] == "Shelling in Syunik"
    assert body[1] == "Azerbaijani forces shelled Goris overnight."
    assert body[-1] == "Kapan was also hit."
    assert "Floods hit Romania." not in body  # short prose after a boundary is another story
    assert not any("July 15" in piece for piece in body)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # no headline-like first line: the first line is still the title
        (
            ["Kapan was also hit.", "Goris was shelled."],
            ["Kapan was also hit.", "Goris was shelled."],
        ),
        # a label between headline and prose stops the brief: only the title is body
        (["Shelling in Syunik", "Analysis | Europe", "Goris was shelled."], ["Shelling in Syunik"]),
        # short prose next to long prose, label in front of it stays out
        (
            [
                "Shelling in Syunik",
                "Photo of author",
                "Goris was shelled.",
                "Residents spent the night in basements while crews worked in the streets.",
                "Nobody was hurt.",
                "Source link",
            ],
            [
                "Shelling in Syunik",
                "Goris was shelled.",
                "Residents spent the night in basements while crews worked in the streets.",
                "Nobody was hurt.",
            ],
        ),
    ],
)
def test_short_prose_rules(lines, expected, newline):
    article = parse_article(newline.join(lines), article_id="x", path="x.txt")
    assert _body_texts(article) == expected


SHORT_PROSE = st.lists(
    st.sampled_from(
        [
            "Kapan was also hit.",
            "Azerbaijani forces shelled Goris overnight.",
            "Two houses were damaged.",
            "Officials denied the report.",
            "Nobody was hurt.",
        ]
    ),
    min_size=1,
    max_size=8,
)


@given(SHORT_PROSE, st.sampled_from(["\n", "\r\n", "\n\n"]), st.booleans())
def test_a_document_of_short_prose_is_all_body(paragraphs, newline, headline):
    lines = ["Shelling in Syunik", *paragraphs] if headline else paragraphs
    article = parse_article(newline.join(lines), article_id="x", path="x.txt")
    assert _body_texts(article) == lines


# ------------------------------------------------------------------------------ markdown


def test_markdown_front_matter_and_body():
    article = load_article(DATA / "front.md")
    assert (article.title, article.outlet, article.url) == (
        "Lachin corridor reopens",
        "Example Daily",
        "https://example.org/lachin",
    )
    assert article.published == dt.date(2023, 9, 1)
    assert article.text[slice(*article.title_span)] == "Lachin corridor reopens"
    body = _body_texts(article)
    assert body[1].startswith("Traffic resumed on the Lachin corridor")
    assert not any("Follow us" in piece for piece in body)
    assert not any("outlet:" in piece for piece in body)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        (
            "bad_front.md",
            r"bad_front\.md:4: invalid YAML: .*but got ':' \(while parsing a flow sequence "
            r"started on line 3\)",
        ),
        (
            "unknown_key.md",
            r"unknown_key\.md:3: unknown metadata key 'publised'.*did you mean 'published'",
        ),
    ],
)
def test_bad_front_matter_is_a_located_problem(name, match):
    with pytest.raises(ArticleError, match=match):
        load_article(DATA / name)


def test_front_matter_closed_by_dots_after_blank_lines_crlf():
    article = load_article(DATA / "front_dots.md")
    assert (article.title, article.outlet, article.language) == (
        "Drones over Odesa",
        "Kyiv Independent",
        "en",
    )
    assert _body_texts(article) == [
        "Drones hit Odesa overnight.",
        "The port was damaged, officials said.",
    ]


@pytest.mark.parametrize(
    ("text", "outlet"),
    [
        ("---\noutlet: Kyiv Independent\n---\nDrones hit Odesa.\n", "Kyiv Independent"),
        ("---\r\noutlet: Kyiv Independent\r\n---\r\nDrones hit Odesa.", "Kyiv Independent"),
        ("---\noutlet: Kyiv Independent\n...\n\n# Odesa\n\nDrones hit it.", "Kyiv Independent"),
        ("\ufeff---\noutlet: Kyiv Independent\n---\nDrones hit Odesa.\n", "Kyiv Independent"),
        ("---\n---\nDrones hit Odesa overnight.\n", None),
        ("No front matter. Drones hit Odesa.\n", None),
    ],
)
@pytest.mark.parametrize("suffix", [".md", ".MD", ".markdown"])
def test_no_body_span_or_sentence_overlaps_the_front_matter(text, outlet, suffix):
    article = parse_article(text, article_id="x", path="x" + suffix)
    assert article.outlet == outlet
    end = front_matter_end(text)
    assert (end > 0) is text.lstrip("\ufeff").startswith("---")
    assert article.body and all(start >= end for start, _ in article.body)
    assert all(start >= end for start, _ in sentences(article))
    assert not any("Kyiv" in piece for piece in _body_texts(article))


def test_unclosed_front_matter_is_a_located_problem():
    with pytest.raises(
        ArticleError,
        match=r"unclosed\.md:1: front matter opened with '---' is "
        r"never closed — expected a '---' line after the last metadata key",
    ):
        load_article(DATA / "unclosed.md")


def test_markdown_thematic_break_first_is_not_front_matter():
    article = parse_article("---\n\nDrones hit Odesa overnight.\n", article_id="x", path="x.md")
    assert _body_texts(article) == ["Drones hit Odesa overnight."]


def test_sidecar_metadata_wins_over_front_matter():
    text = "---\ntitle: From the file\n---\nBody text about Goris in Syunik, near the border."
    article = parse_article(text, article_id="a", path="a.md", metadata={"title": "From sidecar"})
    assert article.title == "From sidecar"


# ------------------------------------------------------------------------------ sidecar


@pytest.mark.parametrize(
    ("sidecar", "match"),
    [
        ("a:\n  titel: X\n", r"index\.yaml:2: unknown metadata key 'titel'"),
        ("a:\n  title: X\n  published: 2023-13-45\n", r"index\.yaml:3: published date"),
        ("a:\n  url: ftp://x\n", r"index\.yaml:2: url 'ftp://x' is not an http"),
        ("a:\n  language: English\n", r"index\.yaml:2: language 'English'"),
        ("b:\n  title: X\n", r"index\.yaml:1: no article 'b'"),
        ("a: [1, 2\n", r"index\.yaml:2: invalid YAML"),
        ("a: 1\na: 2\n", r"index\.yaml:2: invalid YAML: found duplicate key"),
        ("a: hello\n", r"index\.yaml:1: metadata is a str"),
        ("- a\n", r"index\.yaml:1: top level is a"),
    ],
)
def test_sidecar_problems_are_located(tmp_path, sidecar, match):
    (tmp_path / "a.txt").write_text("Talks in Baku\nLeaders met in Baku on Monday to talk.\n")
    (tmp_path / "index.yaml").write_text(sidecar)
    _, problems = load_sidecar(tmp_path)
    assert len(problems) == 1
    with pytest.raises(ArticleError, match=match):
        raise ArticleError(problems)


def test_sidecar_partial_dates(tmp_path):
    (tmp_path / "a.txt").write_text("Talks\nLeaders met in Baku on Monday to talk.\n")
    (tmp_path / "index.yaml").write_text("a:\n  published: '2023'\n  outlet: X\n")
    [article], problems = load_articles([tmp_path])
    assert problems == []
    assert (article.published, article.published_precision) == (dt.date(2023, 1, 1), "year")


def test_empty_or_missing_sidecar_is_fine(tmp_path):
    (tmp_path / "a.txt").write_text("Talks\nLeaders met in Baku on Monday to talk.\n")
    assert load_sidecar(tmp_path) == ({}, [])
    (tmp_path / "index.yaml").write_text("# nothing yet\n")
    assert load_sidecar(tmp_path) == ({}, [])


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("empty.txt", r"empty\.txt:1: the file is empty"),
        ("blank.txt", r"blank\.txt:1: the file holds only whitespace"),
        ("binary.txt", r"binary\.txt:2: binary data, not text \(NUL byte"),
        (
            "latin_undecodable.txt",
            r"latin_undecodable\.txt:2: byte 0x81 .* neither UTF-8 nor cp1252",
        ),
        ("no_such_file.txt", r"no_such_file\.txt:1: no such file"),
    ],
)
def test_bad_files_raise_located_problems(name, match):
    with pytest.raises(ArticleError, match=match):
        load_article(DATA / name)


def test_folder_given_as_file_is_reported(tmp_path):
    with pytest.raises(ArticleError, match="is a folder"):
        articles.read_article_bytes(tmp_path)


def test_permission_denied_is_reported(tmp_path, monkeypatch):
    path = tmp_path / "locked.txt"
    path.write_text("Talks\nLeaders met.\n")

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(ArticleError, match=r"locked\.txt:1: permission denied"):
        load_article(path)


def test_too_large_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(articles, "MAX_ARTICLE_BYTES", 100)
    path = tmp_path / "big.txt"
    path.write_text("Talks in Baku.\n" * 20)
    with pytest.raises(ArticleError, match=r"big\.txt:1: the file is 0\.0 MB — expected at most"):
        load_article(path)


def test_crlf_offsets_point_into_the_text_as_decoded():
    article = load_article(DATA / "crlf.txt")
    assert "\r\n" in article.text
    assert article.title == "Border talks resume in Baku"
    for start, end in article.body:
        assert "\r" not in article.text[start:end]
    offset = article.text.index("Ijevan")
    start, end = sentence_span(article, offset)
    assert article.text[start:end].startswith("The talks on the border near Ijevan")
    assert article.text[start:end].endswith("both sides.")


def test_utf8_bom_is_dropped_and_noted():
    article = load_article(DATA / "bom.txt")
    assert article.text.startswith("Talks in Gyumri")
    assert (article.title, article.encoding) == ("Talks in Gyumri", "utf-8-sig")


def test_cp1252_is_read_and_reported():
    article = load_article(DATA / "cp1252.txt")
    assert article.encoding == "cp1252"
    assert "café in Tbilisi on Friday — “quietly”" in article.text
    _, problems = load_articles([DATA / "cp1252.txt"])
    assert [str(p) for p in problems] == [
        "tests/data/articles/cp1252.txt:1: not UTF-8; read as Windows-1252 (cp1252) — expected "
        "UTF-8 text; check accented letters, or re-save the article as UTF-8"
    ]


def test_utf16_with_bom_is_read():
    text, encoding = decode_article("Talks in Baku\nText.".encode("utf-16"), "a.txt")
    assert (text, encoding) == ("Talks in Baku\nText.", "utf-16")


def test_mostly_control_characters_is_binary():
    with pytest.raises(ArticleError, match="binary data, not text"):
        decode_article(bytes(range(1, 32)) * 10, "a.txt")


def test_one_bad_article_never_stops_the_others():
    loaded, problems = load_articles([DATA])
    ids = {a.id for a in loaded}
    assert {"hostile", "crlf", "bom", "cp1252", "front"} <= ids
    failed = {Path(p.path).name for p in problems}
    assert {"empty.txt", "blank.txt", "binary.txt", "bad_front.md", "unknown_key.md"} <= failed
    assert not ids & {"empty", "blank", "binary", "bad_front", "unknown_key"}


def test_duplicate_ids_are_reported(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "same.txt").write_text("Talks\nLeaders met in Baku on Monday.\n")
    loaded, problems = load_articles([tmp_path / "a", tmp_path / "b"])
    assert len(loaded) == 1
    assert "article id 'same' is already used" in str(problems[0])


def test_ten_megabyte_article_is_handled(tmp_path):
    paragraph = "Leaders met in Baku on Monday to discuss the road to Nakhchivan, officials said. "
    path = tmp_path / "big.txt"
    path.write_text("Big report\n" + (paragraph * 4 + "\n") * 32_000)
    assert path.stat().st_size > 10_000_000
    article = load_article(path)
    assert len(article.body) == 32_001
    offset = len(article.text) - 50
    start, end = sentence_span(article, offset)
    assert article.text[start:end] == paragraph.strip()


# ------------------------------------------------------------------------------ paths


def test_article_paths_expand_folders_sorted(tmp_path):
    for name in ("b.md", "a.txt", "index.yaml", "c.pdf"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in article_paths([tmp_path])] == ["a.txt", "b.md"]
    assert [p.name for p in article_paths()] == [f"{s}.txt" for s in SEED_IDS]
    assert article_paths([]) == []


@pytest.mark.parametrize(
    ("article_id", "match"),
    [
        ("../README", "contains a path separator"),
        ("..", "contains a path separator"),
        ("a/b", "contains a path separator"),
        ("a\\b", "contains a path separator"),
        ("/etc/passwd", "contains a path separator"),
        ("x\x00", "contains a path separator"),
        ("", "contains a path separator"),
        ("index", "no article 'index'"),
        ("missing", "no article 'missing'"),
    ],
)
def test_safe_article_path_refuses(tmp_path, article_id, match):
    (tmp_path / "ok.txt").write_text("Talks\n")
    (tmp_path / "index.yaml").write_text("{}\n")
    with pytest.raises(PathError, match=match):
        safe_article_path(article_id, tmp_path)


def test_safe_article_path_accepts_and_refuses_escaping_symlinks(tmp_path):
    inside, outside = tmp_path / "articles", tmp_path / "secret"
    inside.mkdir()
    outside.mkdir()
    (inside / "ok.md").write_text("Talks\n")
    (outside / "secret.txt").write_text("Secret\n")
    os.symlink(outside / "secret.txt", inside / "leak.txt")
    assert safe_article_path("ok", inside) == (inside / "ok.md").resolve()
    with pytest.raises(PathError, match="links outside that folder"):
        safe_article_path("leak", inside)


# ------------------------------------------------------------------------------ sentences

CASES = _yaml(DATA / "sentence_cases.yaml")


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] or "empty" for c in CASES])
def test_news_abbreviations_do_not_split_sentences(case):
    text = case["text"]
    assert [text[s:e] for s, e in segment_paragraph(text)] == case["sentences"]


@pytest.mark.parametrize(
    ("phrase", "sentence_start"),
    [
        ("Reps. Nancy Pelosi", "Still, Blinken expressed confidence"),
        ("Oct. 3 phone call", "In an Oct. 3 phone call"),
        ("Sept. 20 statement", "In a Sept. 20 statement"),
        ("Zangezur Corridor, whether", "Aliyev has said"),
        ("Baku, Azerbaijan.", "Gabriel Gavin reported from Baku"),
    ],
)
def test_sentence_span_on_the_seed(seeds, phrase, sentence_start):
    article = seeds["000_4a2e8bf07db3be1a"]
    start, end = sentence_span(article, article.text.index(phrase))
    sentence = article.text[start:end]
    assert sentence.startswith(sentence_start)
    assert phrase in sentence and sentence == sentence.strip()


def test_sentence_span_segments_only_the_paragraph_asked_for(seeds, monkeypatch):
    calls = []
    real = articles.segment_paragraph
    monkeypatch.setattr(articles, "segment_paragraph", lambda p: calls.append(p) or real(p))
    articles._segment_cached.cache_clear()
    article = seeds["001_b795981f1a56da71"]
    offset = article.text.index("Lt.")
    first = sentence_span(article, offset)
    assert sentence_span(article, offset + 1) == first
    assert len(calls) == 1 and "Semelroth" in calls[0]
    assert article.text[slice(*first)].startswith("Defense Department spokesman")


@pytest.mark.parametrize("offset", [-1, 10_000])
def test_sentence_span_outside_the_text(offset):
    with pytest.raises(ValueError, match=r"offset .* is outside article 'a'"):
        sentence_span(Article("a", "a.txt", "Hello."), offset)


def test_sentence_span_in_a_blank_line_is_empty():
    article = Article("a", "a.txt", "One.\n\nTwo.")
    assert sentence_span(article, 5) == (5, 5)


def test_sentences_in_a_range_and_markdown_blocks():
    article = Article("a", "a.md", "One here.\nStill one. Two.\n\nThree.")
    spans = sentences(article)
    assert [article.text[s:e] for s, e in spans] == ["One here.", "Still one.", "Two.", "Three."]
    assert sentences(article, 0, 3) == spans[:1]
    assert sentences(Article("e", "e.txt", "")) == []


TEXT = st.lists(
    st.sampled_from([*"ab .,!?\n\r\xa0“”'", "U.S.", "Sept. ", "Baku", "\r\n", "Reps. "]),
    max_size=60,
).map("".join)


@given(TEXT)
def test_sentence_spans_lie_in_order_inside_the_text(text):
    article = Article("h", "h.txt", text)
    spans = sentences(article)
    assert spans == sorted(spans)
    for (_s1, e1), (s2, _) in itertools.pairwise(spans):
        assert e1 <= s2
    for start, end in spans:
        piece = text[start:end]
        assert piece and piece == piece.strip()
        assert "\n" not in piece and "\r" not in piece
        assert sentence_span(article, start) == (start, end)


@given(TEXT)
def test_parse_article_keeps_the_text_and_spans_valid(text):
    if not text.strip():
        return
    article = parse_article(text, article_id="h", path="h.txt")
    assert article.text == text
    for start, end in article.body:
        assert 0 <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()


# ------------------------------------------------------------------------------ hostile


def test_hostile_fixture_keeps_markup_verbatim_for_escaping_later():
    article = load_article(DATA / "hostile.txt")
    body = " ".join(_body_texts(article))
    for payload in (
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
    ):
        assert payload in article.text
    assert "Yerevan" in body
    assert "<script>" in article.title


BOMB_LEVELS = "\n".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9))


@pytest.mark.parametrize("where", ["front matter", "sidecar"])
def test_yaml_aliases_in_metadata_are_refused_before_they_expand(tmp_path, where):
    bomb = f"l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n{BOMB_LEVELS}\ntitle: *l8\n"
    if where == "front matter":
        path = tmp_path / "bomb.md"
        path.write_text(f"---\n{bomb}---\nTroops in Yerevan.\n", encoding="utf-8")
    else:
        path = tmp_path / "ok.txt"
        path.write_text("Headline\n\nTroops in Yerevan today.\n", encoding="utf-8")
        (tmp_path / "index.yaml").write_text(
            f"ok:\n  outlet: x\nanchors:\n  {bomb}", encoding="utf-8"
        )
    _articles, problems = load_articles([path if where == "front matter" else tmp_path])
    assert any("anchors and aliases" in str(p) for p in problems), problems
    assert all(len(str(p)) < 500 for p in problems)


# --------------------------------------------------------------------------------------------
# syntok_spans: syntok's sentences, with syntok run only where a boundary is in doubt


def _syntok_reference(paragraph: str) -> list[tuple[int, int]]:
    """syntok over the whole paragraph, as segment_paragraph used it before the fast path."""
    import syntok.segmenter

    spans = []
    for found in syntok.segmenter.analyze(paragraph):
        for sentence in found:
            last = sentence[-1]
            spans.append((sentence[0].offset, min(len(paragraph), last.offset + len(last.value))))
    return spans


@pytest.mark.parametrize(
    "paragraph",
    [
        "",
        "   ",
        "No terminal at all",
        "Gen. Smith left. The rest stayed in Baku. We left at 3 p.m. on Monday.",
        "Mayor Bobby E. Horton called. The U.S. Army came; Ms. The said no.",
        "Part of U.S. 83 south of town. Take U.S. 84, then exit. It closed in the 1990s. The end.",
        "Sen. Bob Menendez (D-N.J.), the chairman, spoke. (AP Photo) He left. (Shutterstock)",
        "It happened years ago. During the war 12. Jan was cold. No. 5 won. No. Five lost.",
        "Call 800-768-1506. And the aid. It was 9/11. That’s it. “by force”. The phone rang.",
        "They said “no.” “We will,” he said. ‘Yes.’ ‘No.’ Wait… What? Really?! Yes!",
        "II. The kings. XI. Louis. A. B. C. d. e. He (the one [in] {braces}) left. Then.",
        "CHATTANOOGA (AP) — Methane. WASHINGTON, D.C. -- Family of W.Va. -- Lewisburg.",
        "He left . She stayed ; They went.Here it is.Done. 5. Jan. 12. Feb 2020. 133%! In all.",
        "x-Mr. Smith. a.-Abc. The end. rock’n’roll. The band. DeKalb. The county. UK. The people.",
    ],
)
def test_syntok_spans_match_syntok(paragraph: str) -> None:
    assert articles.syntok_spans(paragraph) == _syntok_reference(paragraph)


_SENTENCE_PIECES = [
    "word",
    "Word",
    "The",
    "It",
    "He",
    "Mr.",
    "Gen.",
    "U.S.",
    "p.m.",
    "E.",
    "II.",
    "No.",
    "no",
    "Jan.",
    "May",
    "5",
    "12",
    "1990s",
    "1,000",
    "9/11",
    "133",
    "etc.",
    "(AP)",
    "(D-Calif.)",
    "(",
    ")",
    "[",
    "]",
    "“",
    "”",
    '"',
    "'",
    "’",
    "—",
    "-",
    "--",
    ".",
    "!",
    "?",
    ";",
    ":",
    ",",
    "...",
    "…",
    "ago.",
    "said.",
    "Baku.",
    "a",
    "x",
    "In",
    "Jan",
    "\xa0",
]


@given(st.lists(st.sampled_from(_SENTENCE_PIECES), max_size=40), st.lists(st.booleans()))
@hypothesis_settings(max_examples=1500, deadline=None)
def test_syntok_spans_match_syntok_on_generated_text(pieces: list[str], glue: list[bool]) -> None:
    # pieces joined by a space or nothing, so terminals, quotes and brackets touch words too
    text = "".join(p + (" " if i >= len(glue) or glue[i] else "") for i, p in enumerate(pieces))
    paragraph = text.strip()
    assert articles.syntok_spans(paragraph) == _syntok_reference(paragraph)


@given(
    st.lists(
        st.sampled_from(
            [
                "Follow us",
                "on",
                "donate",
                "our readers",
                "Goris",
                "was hit",
                "Updated",
                "May 15",
                ".",
                "!",
                "Kapan",
                "shelled",
                "© 2024",
            ]
        ),
        max_size=12,
    )
)
@hypothesis_settings(max_examples=300, deadline=None)
def test_vetted_prose_check_agrees_with_reads_as_prose(words: list[str]) -> None:
    paragraph = " ".join(words)
    if classify_paragraph(paragraph) != "bad":
        assert articles._reads_as_prose(paragraph.strip(), vetted=True) == reads_as_prose(paragraph)


# --- phrase pieces: the Aho-Corasick pre-check never hides a phrase pattern's match ----------


@pytest.mark.parametrize(
    ("pattern", "kind"),
    [(articles._STRONG, "strong"), (articles._WEAK, "weak")],
)
@given(data=st.data())
@hypothesis_settings(max_examples=300, deadline=None)
def test_every_phrase_match_holds_a_piece(pattern, kind, data):
    match = data.draw(st.from_regex(pattern, fullmatch=True))
    assert kind in articles._phrase_kinds(match)


@given(st.from_regex(articles._CAPTION, fullmatch=True))
@hypothesis_settings(max_examples=300, deadline=None)
def test_every_caption_match_holds_a_piece(match):
    kinds = articles._phrase_kinds(match)
    assert "caption" in kinds or ("caption source" in kinds and "(" in match)


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("", set()),
        ("Troops shelled Goris overnight.", set()),
        ("Follow us on social media", {"strong"}),
        ("Support our journalism", {"weak"}),
        ("Photo: AP", {"caption"}),
        ("Smoke rises (AFP)", {"caption source"}),
        ("© 2024 Photo credit", {"strong", "caption"}),
    ],
)
def test_phrase_kinds(paragraph, expected):
    assert articles._phrase_kinds(paragraph.lower()) == expected


@given(
    st.lists(
        st.sampled_from(
            [
                "Subscribe",
                "newsletter",
                "our readers",
                "donate",
                "(Reuters)",
                "Photo:",
                "photo by",
                "via Shutterstock",
                "(AP Photo/Jane Doe)",
                "sponsored",
                "©",
                "Troops",
                "moved",
                "into",
                "Goris.",
                "log in",
                "Login",
                "cookies",
                "Comments",
                "\n",
                " ",
                "(",
                ")",
                "epa",
                "images:",
                "support us",
                "contributions to",
            ]
        ),
        max_size=12,
    )
)
@hypothesis_settings(max_examples=500, deadline=None)
def test_classify_paragraph_equals_the_plain_patterns(words):
    paragraph = " ".join(words)
    text = paragraph.strip()
    low = text.lower()
    bad = (
        bool(articles._STRONG.findall(low))
        or len(articles._WEAK.findall(low)) >= 2
        or articles._page_chrome(text, strong_phrase=False)
    )
    assert (classify_paragraph(paragraph) == "bad") == bad


@given(
    st.lists(
        st.sampled_from(
            ["U.S.", "A.B.C.", "xU.S.", "He", "The", "went", " ", "  ", "\n", ".", "_"]
        ),
        max_size=12,
    )
)
@hypothesis_settings(max_examples=300, deadline=None)
def test_initialism_end_equals_its_word_boundary_form(words):
    import re

    text = " ".join(words)
    plain = re.compile(r"\b(?:[A-Z]\.){2,}" + articles._INITIALISM_END.pattern.split(r"\.)+", 1)[1])
    for start in range(len(text) + 1):
        fast = [m.span() for m in articles._INITIALISM_END.finditer(text, start)]
        assert fast == [m.span() for m in plain.finditer(text, start)]


def test_messages_show_article_paths_from_the_repository_wherever_the_run_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = sorted((settings.PROJECT_ROOT / "seeds").glob("*.txt"))[0]
    shown = f"seeds/{seed.name}"
    monkeypatch.chdir(settings.PROJECT_ROOT)
    assert articles._display(Path("seeds") / seed.name) == shown
    monkeypatch.chdir(tmp_path)  # the same relative path now means another folder
    assert articles._display(Path("seeds") / seed.name) == str(tmp_path / "seeds" / seed.name)
    assert articles._display(seed) == shown
    linked = tmp_path / "linked"
    linked.symlink_to(settings.PROJECT_ROOT / "seeds")
    assert articles._display(linked / seed.name) == shown  # a linked folder is followed
    outside = tmp_path / "elsewhere.txt"
    assert articles._display(outside) == str(outside)
    assert articles._display(Path("elsewhere.txt")) == str(outside)  # readable from anywhere
    (tmp_path / "link.txt").symlink_to(seed)
    assert articles._display(Path("link.txt")) == str(tmp_path / "link.txt")
    # the index reads an article back by the path shown (gazetteer edits re-read the text)
    monkeypatch.chdir(settings.PROJECT_ROOT / "geo")
    assert read_indexed_path(articles._display(tmp_path / "link.txt")) == seed.read_bytes()
    assert read_indexed_path(articles._display(seed)) == seed.read_bytes()
