"""Roles of a place mention: locative, metonymic or attributive, with the reason."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Protocol

from geo.models import Place, Role

#: Characters written as an apostrophe (straightened here and when matching folds text).
APOSTROPHES = frozenset("'’‘ʼ′`´ʻ")
#: The folding the caller matched with (lower-case, plain letters): the role patterns are written
#: for folded text, and the words before a mention are folded with it.
Fold = Callable[[str], str]


class SpanLike(Protocol):
    """Where a mention sits: original offsets ``[start, end)`` and ``fend`` in the folded text."""

    @property
    def start(self) -> int:
        """Offset of the first character of the mention in the original text."""

    @property
    def end(self) -> int:
        """Offset just after the mention in the original text."""

    @property
    def fend(self) -> int:
        """Offset just after the mention in the folded text."""


class _EndPattern:
    r"""A pattern anchored at the end (``$``) whose match holds at most ``runs`` whitespace runs.

    ``search`` gives exactly ``re.Pattern.search``'s match but starts where such a match can
    start: after the ``runs + 1``-th whitespace run from the end. An end-anchored search over a
    window otherwise tries every position of it, the cost of most role patterns. ``\b`` and
    look-behinds still see the characters before that start (``search(text, pos)``), and
    ``str.split`` and ``\s`` agree on what whitespace is (``str.isspace``).

    ``ends``, for a pattern whose match ends with one of a few words then only whitespace,
    lists those words: a text whose stripped end is none of them is not searched at all.

    Examples
    --------
    >>> pattern = _EndPattern(r"\b(?:in|near)\s+(?:the\s+)?$", runs=2, ends=("in", "near", "the"))
    >>> pattern.search("troops moved in the ").group(0), pattern.search("begin ")
    ('in the ', None)
    >>> pattern.search("troops moved ") is None
    True
    """

    __slots__ = ("ends", "pattern", "runs")

    def __init__(self, pattern: str, runs: int, ends: tuple[str, ...] | None = None):
        self.pattern, self.runs, self.ends = re.compile(pattern), runs, ends

    def search(self, text: str) -> re.Match[str] | None:
        """Return ``re.compile(pattern).search(text)``, searching only where a match can start."""
        if self.ends is not None and not text.rstrip().endswith(self.ends):
            return None
        head = text.rsplit(None, self.runs + 1)
        start = len(head[0]) if len(head) == self.runs + 2 else 0
        return self.pattern.search(text, start)


_AUX = (
    r"(?:has|have|had|is|was|were|are|will|would|could|can|may|might|should|must|did|does|do|"
    r"also|not|still|now|already|soon|then|reportedly|repeatedly|previously|inevitably|further|"
    r"never|long|recently|again|just|itself|officially|formally|vehemently|deeply|explicitly|"
    r"\w+ly)"
)
#: Verbs whose subject is an agent (a government), not ground: speech, policy, force, exchange.
_AGENT_VERBS = (
    r"(?:sa(?:id|ys|y)|propos\w*|warn\w*|accus\w*|demand\w*|reject\w*|den(?:y|ies|ied)|"
    r"announc\w*|agree\w*|sign\w*|launch\w*|claim\w*|insist\w*|threat\w*|refus\w*|urg\w*|"
    r"call\w*|s(?:eek|eeks|ought)|want\w*|oppos\w*|support\w*|condemn\w*|critici[sz]\w*|"
    r"recogni[sz]\w*|sanction\w*|respond\w*|vow\w*|pledg\w*|offer\w*|giv\w*|gave|receiv\w*|"
    r"sen(?:d|ds|t)|deploy\w*|impos\w*|approv\w*|blam\w*|back(?:s|ed)|argu\w*|consider\w*|"
    r"invad\w*|attack\w*|strik\w*|struck|restor\w*|establish\w*|initiat\w*|violat\w*|push\w*|"
    r"declar\w*|decid\w*|plan\w*|hop\w*|fear\w*|believ\w*|expect\w*|reiterat\w*|stress\w*|"
    r"host\w*|provid\w*|requested|request|requests|began|begun|emerged|committed|commit|"
    r"negotiat\w*|mediat\w*|brokered|took|take|takes|taking|seiz\w*|captur\w*|annex\w*|"
    r"retaliat\w*|responded|join\w*|withdr\w*|recalled|summon\w*|vetoed|ratif\w*|insisted|"
    r"concerned|interested|opposed|determined|ready|willing|raising|do|does|did|"
    r"ha(?:s|ve|d)\s+(?:no|any|long|always|never)|qualms|learned)"
)
_SUBJECT_RE = re.compile(rf"^\s*,?\s*(?:{_AUX}\s+){{0,3}}{_AGENT_VERBS}\b")
#: Nouns that, after a possessive, make the name stand for its state or people.
_AGENT_NOUNS = (
    r"(?:abilit\w*|action\w*|decision\w*|polic\w*|position\w*|pledge\w*|operation\w*|offensive|"
    r"assault\w*|incursion\w*|attack\w*|military|forces|troops|army|government|regime|"
    r"leadership|officials|role|interests?|use|establishment|demands?|claims?|aspirations?|"
    r"threats?|response|stance|approach|deployment|aggression|commitment|support|moves?|"
    r"strategy|diplomacy|efforts?|plans?|intentions?|ally|allies|partners?|wishes|favou?r|"
    r"refusal|reluctance|willingness|consent|concerns?|objections?|pressure|influence|"
    r"invasion|war|campaign|behaviou?r|proposal|request|answer|reaction|hand|complicity)"
)
_POSSESSIVE_RE = re.compile(rf"^'s?\s+(?:[a-z-]+\s+){{0,2}}?{_AGENT_NOUNS}\b")
#: Titles of officials and official bodies: after a possessive or a name, they make a label.
_FUNCTION_WORDS = (
    r"(?:as|and|or|but|to|the|a|an|of|in|on|at|by|for|from|with|that|which|who|is|was|has|had|"
    r"have|will|would|its|their|this|these|those)"
)
_TITLE_NOUNS = (
    r"(?:president|prime minister|ambassador|envoy|foreign minister|defen[cs]e minister|minister|"
    r"secretary|senator|governor|spokes(?:man|woman|person)|embassy|ministry|mission|consulate|"
    r"representative|delegation|foreign ministry|defen[cs]e ministry|state department|"
    r"department|congress|senate|parliament|army|navy|air force|vice president|deputy|"
    r"attorney general|trade representative|high court|supreme court|court|central bank|"
    r"news agency|news service|cabinet|lower house|upper house|house of representatives|"
    r"commission|commissioner|authority|council|committee|mayor|chancellor|"
    r"(?:reps?|sens?|gov)\.(?=\s))"
)
#: The name before a title, directly or through a possessive and up to three words
#: ("Russia's Deputy Minister", "China's commerce ministry").
_LABEL_AFTER_RE = re.compile(
    rf"^(?:'s?\s+(?:(?!{_FUNCTION_WORDS}\b)[\w-]+\s+){{0,3}}?|\s+){_TITLE_NOUNS}(?:\b|(?<=\.))"
)
_LABEL_BEFORE_RE = _EndPattern(
    r"\b(?:ambassador|envoy|embassy|mission|consulate|delegation|representative)s?\s+"
    r"(?:to|of|from)\s+(?:the\s+)?$",
    runs=3,
    ends=("to", "of", "from", "the"),
)
_RECIPIENT_RE = _EndPattern(
    r"\b(?:assistance|aid|support|waivers?|funding|weapons|arms|sanctions|pressure|condemnation|"
    r"criticism|accusations?|demands?|ultimatum|concessions?|loans?|grants?)\s+(?:\w+\s+)?"
    r"(?:to|for|against|on|of|from)\s+(?:the\s+)?$"
    r"|\b(?:critical|accus\w*|urg\w*|call\w* on|press\w*|criticiz\w*|criticis\w*|warn\w*|told|"
    r"condemn\w*|sanction\w*|giv\w*|gave|grant\w*|offer\w*|recogni[sz]\w* by|backed by|"
    r"accountable|hold|holding)\s+(?:of\s+)?(?:the\s+)?$",
    runs=4,
)
#: "<Organisation word> of X": X is part of a name ("Armenian Assembly of America").
_ORGANISATION_OF_RE = re.compile(
    r"\b(?:[A-Z][\w'’-]*\s+)*(?:Assembly|Association|Bank|Chamber|Church|College|Committee|"
    r"Council|Court|Department|Federation|Foundation|Institute|League|Ministry|Museum|Office|"
    r"Party|School|Society|Union|University|Bureau|Service|Agency|Commission|Organi[sz]ation|"
    r"Embassy|Mission|Academy|Bar|Command|Authority)\s+of\s+(?:the\s+)?$"
)
#: A state honour "<Honorific> <Title> of X" or "Hero of X": X awards it, the holder is elsewhere
#: ("People's Artist of Armenia", "Honoured Teacher of Russia", "National Hero of Azerbaijan").
_HONORIFIC_OF_RE = _EndPattern(
    r"\b(?:(?:People['’]s|Honou?red|Merited|National)\s+(?:[A-Z][\w-]*\s+){1,3}|Hero\s+)"
    r"of\s+(?:the\s+)?$",
    runs=6,
    ends=("of", "the"),
)
_PARTY_STATE_RE = _EndPattern(r"\(\s*[DRI]\s*[-–‐‑]\s*(?:[A-Z][\w.]*\s*)?$", runs=4)
_OF_FROM_END_RE = _EndPattern(r"\b(?:of|from)\s+(?:the\s+)?$", runs=2, ends=("of", "from", "the"))
_CONSTITUENCY_TITLE_RE = re.compile(
    r"^(?:Reps?|Sens?|Senators?|Representatives?|Congress(?:man|woman|men|women)|Gov|Governors?"
    r"|Delegates?|Lawmakers?|Assemblym[ae]n)\.?$"
)
_NAME_TOKEN_RE = re.compile(r"[A-Z][\w'’.-]*|and|,|of|from|[A-Z]\.")


def _constituency_title(text: str, start: int) -> str | None:
    """Return the political title when ``text[start:]`` follows "<Title> <names> of|from".

    Examples
    --------
    >>> _constituency_title("Reps. Nancy Pelosi and Anna Eshoo of California", 37)
    'Reps.'
    >>> _constituency_title("a lot of California", 9) is None
    True
    """
    before = text[max(0, start - 200) : start]
    match = _OF_FROM_END_RE.search(before)
    if not match:
        return None
    tokens = re.findall(r"[\w'’.-]+|,", before[: match.start()])
    for count, token in enumerate(reversed(tokens)):
        if count > 16:
            return None
        if _CONSTITUENCY_TITLE_RE.match(token):
            return token
        if not _NAME_TOKEN_RE.fullmatch(token):
            return None
    return None


#: Words that make a name a polity even when the gazetteer files it as a region.
_POLITY_SURFACE_RE = re.compile(
    r"\b(?:Republic|Kingdom|Empire|Emirates?|Union|Federation|Confederation|Sultanate)$"
)
_POLITY_BEFORE_RE = _EndPattern(
    r"\b(?:self-proclaimed|self-declared|breakaway|unrecogni[sz]ed|de facto)\s+$",
    runs=2,
    ends=(
        "self-proclaimed",
        "self-declared",
        "breakaway",
        "unrecognized",
        "unrecognised",
        "de facto",
    ),
)
#: One capitalised name (up to four words, "U.S.", "Nagorno-Karabakh"), for coordinated lists.
_LIST_NAME = r"(?:the\s+)?[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}(?:\s*\([^()]{0,30}\))?"
#: "A and", "A, B and", "A, B, and" (serial comma) open a list; in "in A, and B …" a comma
#: before "and" with no earlier list item ends the clause, so B is not governed by "in".
_LIST_HEAD_RE = re.compile(
    rf"(?<![\w.'’(-])(?:(?:{_LIST_NAME}\s*,\s*)+{_LIST_NAME}\s*,?|{_LIST_NAME})"
    r"\s+(?:and|or|&)\s+(?:the\s+)?$"
)
_LIST_MIDDLE_RE = re.compile(rf"(?<![\w.'’(-])(?:{_LIST_NAME}\s*,\s*)+$")
_LIST_SEPARATOR_RE = re.compile(r"(?:,|\band|\bor|&)\s+(?:the\s+)?$")
_LIST_GOES_ON_RE = re.compile(
    r"^(?:\s*,|\s+(?:and|or)\b|\s*[.;:!?)(”\"–—]|\s*$|\s+(?:on\s+|in\s+|last\s+)?[A-Z0-9])"
)
_DET = r"(?:(?:the|a|an|both|either|all|whole|entire)\s+)?"
_LOCATIVE_PREPOSITION_RE = _EndPattern(
    rf"\b(in|inside|within|into|across|through|throughout|near|nearby|at|around|via|onto|"
    rf"outside|beyond|along|all over|en route to|out of)\s+{_DET}$",
    runs=4,
)
#: Nouns that, right after the name, make it a modifier ("in U.S. interests"): the preposition
#: then governs the noun, not the place.
_MODIFIED_NOUN_RE = re.compile(
    r"^\s+(?:national|security|foreign|domestic|economic|political|military|diplomatic|"
    rf"{_AGENT_NOUNS})\b"
)
#: "<noun> from X" where X is a source or speaker, not a point of departure.
_FROM_ACTOR_RE = _EndPattern(
    r"\b(?:calls?|criticism|pressure|support|aid|assistance|weapons|arms|drones|hardware|"
    r"equipment|funding|loans?|demands?|requests?|warnings?|threats?|response|independence|"
    r"statements?|objections?|protests?|condemnation|backing|help|approval|permission|"
    r"recognition|sanctions|message|signals?|opposition|resistance|pushback|bought|purchased|"
    r"received|receives|receiving|obtained|acquired|buys|buying|heard|secession|separation)"
    r"\s+from\s+(?:both\s+|the\s+)?$",
    runs=3,
    ends=("from", "both", "the"),
)
_FROM_RE = _EndPattern(r"\b(from)\s+(?:the\s+)?$", runs=2, ends=("from", "the"))
#: Movement verbs and nouns whose "to"/"for" names a destination.
_MOTION_TO_RE = _EndPattern(
    r"\b(?:fle[de]|flee\w*|mov\w*|travel\w*|return\w*|went|go|goes|going|gone|came|come|"
    r"coming|flew|fly\w*|flies|deport\w*|evacuat\w*|migrat\w*|emigrat\w*|immigrat\w*|relocat\w*|"
    r"trips?|visits?|journey\w*|routes?|roads?|railways?|flights?|arriv\w*|extend\w*|stretch\w*|"
    r"driv\w*|drove|walk\w*|sail\w*|smuggl\w*|transit\w*|ship(?:s|ped|ping|ments?)|"
    r"export\w*|back|home|way|entry|access|head(?:s|ed|ing)?|bound|depart(?:s|ed|ing)?|"
    r"sen[dt]\w*|expel\w*|extradit\w*|deploy\w*|operations|missions|tours?|bring\w*|brought|"
    r"take|takes|took|taken|taking|trains?|bus|buses|ferr(?:y|ies)|connections?|services?|"
    r"links?|trade|traffic|exodus|pilgrims?|tourists?|visitors?)"
    rf"\s+(?:[a-z-]+\s+){{0,3}}?(?:to|into|toward|towards)\s+{_DET}(?:[a-z-]+\s+)?$"
    r"|\b(?:left|leave|leaves|leaving|depart(?:s|ed|ing)?|head(?:s|ed|ing)?|bound|set (?:off|out)|"
    r"fle[de]|flee\w*)\s+(?:[a-z-]+\s+){0,3}?for\s+"
    rf"{_DET}(?:[a-z-]+\s+)?$"
    r"|\b(?:connect\w*|link\w*|join\w*|between)\s+(?:\S+\s+){1,4}?(?:with|to|and)\s+"
    rf"{_DET}(?:[a-z-]+\s+)?$",
    runs=8,
)
#: Verbs whose object is territory: entering, taking, crossing, attacking or bordering it.
_TERRITORY_VERB_RE = _EndPattern(
    r"\b(invad\w*|enter(?:s|ed|ing)?|occup(?:y|ies|ied|ying)|annex\w*|shell(?:s|ed|ing)?|"
    r"bomb(?:s|ed|ing)?|captur\w*|cross(?:es|ed|ing)?|bypass\w*|border(?:s|ed|ing)?|"
    r"visit(?:s|ed|ing)?|tour(?:s|ed|ing)?|reach(?:es|ed|ing)?|surround\w*|encircl\w*|"
    r"liberat\w*|connect(?:s|ed|ing)?|link(?:s|ed|ing)?|travers\w*|attack(?:s|ed|ing)?|"
    r"strik(?:e|es|ing)|struck|overr(?:un|an)|partition\w*|leav(?:e|es|ing)|left|"
    r"fle[de]|flee(?:s|ing)?|escap(?:e|es|ed|ing)|(?:bordered|surrounded|flanked|bounded) by)"
    rf"\s+{_DET}(?:[a-z-]+\s+)?$",
    runs=4,
)
#: Military force against a place: "offensive against", "invasion of", "strikes on".
_FORCE_AGAINST_RE = _EndPattern(
    r"\b((?:offensive|assault|attacks?|strikes?|incursions?|invasion|aggression|shelling|"
    r"bombardment|bombing|raids?|war|hostilities|operations?|missiles?|rockets?)"
    r"\s+(?:[a-z-]+\s+)?(?:against|on|into|upon)|(?:invasion|occupation|conquest|"
    r"annexation|partition|bombing|shelling) of)\s+(?:the\s+|both\s+)?(?:[a-z-]+\s+)?$",
    runs=5,
)
#: Nouns of parts, land and inhabitants: "south of X", "part of X", "border with X".
_LAND_OF_RE = _EndPattern(
    r"\b((?:territory|territories|part|parts|south|north|east|west|center|centre|heart|tours?|"
    r"outskirts|borders?|capital|people|peoples|residents|inhabitants|population|map|soil|coast|"
    r"regions?|provinces?|cities|towns|villages|lands?|rest|corner|areas?|shores?|interior|"
    r"countryside|mountains|airspace|waters|geography) of|(?:borders?|frontiers?|boundary|"
    r"boundaries|line of contact|routes?|roads?|railways?|rail link|corridors?|bridge|highway|"
    r"pipelines?|flights?|crossings?|checkpoints?|trains?|services?|connections?|links?|"
    r"traffic|travel|distance) (?:with|between|to|from|into|through))"
    rf"\s+{_DET}(?:[a-z-]+\s+)?$",
    runs=6,
)
#: Words right before the name that describe ground: "southern Armenia", "mainland Azerbaijan".
_LAND_MODIFIER_RE = _EndPattern(
    r"\b((?:south|north|east|west|central|south-?east|south-?west|north-?east|north-?west)"
    r"(?:ern)?|mainland|coastal|rural|urban|landlocked|neighbou?ring|occupied|war-torn|"
    r"mountainous|downtown|upstate|greater|inner|outer|metropolitan|sunny|rainy|continental|"
    r"contiguous|mainland|lower|upper|rural|southernmost|northernmost)\s+$",
    runs=1,
)
#: Nouns right after the name (or its possessive) that make it the land: "Armenia's territory".
_LAND_HEAD_RE = re.compile(
    r"^(?:'s?\s+(?:[a-z-]+\s+){0,2}?|[-–‐‑][\w.]+\s+|\s+)(territory|territories|borders?|"
    r"borderlands?|frontier|soil|mainland|airspace|waters|coast|coastline|shores?|regions?|"
    r"provinces?|districts?|cities|city|towns?|villages?|countryside|capital|lands?|"
    r"(?:south|north|east|west)(?:ern)?|interior|highlands|mountains|population|people|"
    r"residents|inhabitants|countries|republics|states|corridor|exclave|enclave|side of the "
    r"border|map|geography|landscape|climate|weather|tour|economy|industr(?:y|ies)|jails?|"
    r"prisons?|streets?|hospitals?|schools?|restaurants?|hotels?|roads?|beaches|farms?|ports?|"
    r"airports?|stations?|mines|oil|fields|forests?|rivers?|lakes?|coasts?|suburbs?|"
    r"neighbou?rhoods?|islands?|outback|wilderness|heartland|hinterland)\b"
    r"|^[-–‐‑](based|born|bred|headquartered|registered|bound|grown)\b"
)
#: "X is a city", "X, over time, has become a hub": the name is described as ground.
_LAND_COPULA_RE = re.compile(
    r"^(?:\s*,[^,]{1,40},)?\s+(?:is|was|has become|had become|became|becomes|remains|"
    r"has been|had been|will become)\s+(?:a|an|the)\s+(?:[a-z-]+\s+){0,3}?(country|city|town|"
    r"village|region|island|port|capital|hub|haven|base|destination|gateway|crossroads|"
    r"route|territory|land|exclave|enclave|place|spot|corridor)\b"
)
#: Capitalised event names and conflict nouns after the name: "the Iraq War".
_EVENT_AFTER_RE = re.compile(
    r"^(?:'s\s+(?:civil\s+)?|\s+(?:[A-Z][\w-]*\s+)?)(War|Wars|Conflict|Crisis|Earthquake|"
    r"Massacre|Genocide|Battle|Campaign|Offensive|Revolution|Uprising|Siege|Floods?|Pogrom|war|"
    r"conflict|earthquake)\b"
)
_COUNTRIES_LIKE_RE = _EndPattern(
    r"\b(?:in|across|to|throughout|from|at|into|through|visit\w*)\s+(?:[a-z-]+\s+){0,3}"
    r"(?:countries|cities|places|regions|nations|states|capitals|zones|areas|destinations|"
    r"markets|locations)\s+(?:like|such as|including)\s+(?:the\s+)?$",
    runs=8,
    ends=("like", "such as", "including", "the"),
)
#: "from <Place> to X": the end of a journey (checked on the original text, names capitalised).
_FROM_TO_RE = _EndPattern(
    r"\bfrom\s+(?:the\s+)?[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}\s+to\s+(?:the\s+)?$",
    runs=8,
)
#: "<title or office> of X": "foreign ministers of X", "president of the self-proclaimed X".
_TITLE_OF_RE = _EndPattern(
    r"\b((?i:president|prime minister|minister|ministers|ambassador|ambassadors|envoy|envoys|"
    r"secretary|secretaries|bureau|ministry|ministries|embassy|embassies|consulate|governor|"
    r"mayor|king|queen|emir|chancellor|parliament|speaker|leaders?|representatives?|consul|"
    r"commissioner|attorney general|chief of staff|head of state|foreign ministry|"
    r"defen[cs]e ministry|national security adviser)"
    r"(?:\s+(?:of\s+|and\s+|for\s+)?[A-Z][\w-]*){0,4}\s+of)\s+(?:the\s+)?(?:[a-z-]+\s+){0,2}$",
    runs=15,
)
#: An acronym of an agency or body before "of": "the FSB of Russia".
_ACRONYM_OF_RE = _EndPattern(r"\b([A-Z]{2,6} of)\s+(?:the\s+)?$", runs=3, ends=("of", "the"))
#: A name directly after an acronym or "Air" is part of a brand: "HSBC Malta", "Air France".
_BRAND_BEFORE_RE = _EndPattern(
    r"(?<![\w.])(?:(?!(?:AND|OR|THE|IN|OF|TO|AT|ON|BY|FOR|FROM|WITH|AS|IS|VS)\s)[A-Z]{2,6}|Air)\s$",
    runs=1,
    ends=(*string.ascii_uppercase, "r"),
)
#: Capitalised organisation words after the name: "OSCE Minsk Group", "Baku State University".
_ORGANISATION_AFTER_RE = re.compile(
    r"^(?:\s+(?:[A-Z][\w'’-]*|and|&)){0,3}?\s+(Group|group|Society|Trust|Bureau|Forces|Authority|"
    r"Lottery|Corporation|Company|Holdings|Network|Magazine|Daily|Gazette|Telegraph|Chronicle|"
    r"Observer|Broadcasting|Radio|Television|House|Senate|Congress|Army|Navy|Air Force|Marines|"
    r"Representative|Attorney|Cup|Open|Championships?|Olympics|Stock|Bank|Council|Police|Assembly|University|Institute|"
    r"Committee|Party|Airlines?|Airways|Times|Post|Herald|Tribune|Journal|Agency|Ministry|"
    r"Department|Embassy|Court|Foundation|Fund|Association|Federation|Club|FC|United|"
    r"Railways?|Stock Exchange|Accords?|Agreement|Treaty|Declaration|Protocol|Convention|"
    r"Command|Guard|Service|Commission|Office)\b"
)
#: People and offices right after the name: "Nagorno-Karabakh officials", "U.S. envoy".
_PEOPLE_LABEL_AFTER_RE = re.compile(
    r"^(?:'s?)?\s+(officials?|democrats|republicans|leaders?|leadership|authorities|diplomats?|lawmakers?|"
    r"legislators?|negotiators?|commanders?|chief of staff|adviser|advisor|delegates?|"
    r"prosecutors?|judges?|spokes(?:man|woman|person)|mayor|king|queen|emir|chancellor|"
    r"speaker|lobby|lobbyists?)\b"
)


def _plain_after(text: str, end: int) -> str:
    """Return the 80 characters after ``end``, lower-cased, apostrophes straight, hyphens kept.

    Examples
    --------
    >>> _plain_after("Armenia’s Army-linked", 7)
    "'s army-linked"
    """
    return text[end : end + 80].lower().translate(_STRAIGHT_APOSTROPHES)


_STRAIGHT_APOSTROPHES = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))


def _fold_tail(before: str, size: int, fold: Fold) -> str:
    """Fold the last ``size`` characters of ``before``, keeping a trailing space.

    Examples
    --------
    >>> _fold_tail("Officials in ", 100, lambda tail: tail.strip().lower())
    'officials in '
    """
    tail = before[-size:]
    folded = fold(tail)
    return f"{folded} " if tail[-1:].isspace() else folded


def _strip_list(before: str, after: str) -> tuple[str, bool]:
    """Drop the earlier names of a list ending at the mention: "in Baku and [Yerevan]" → "in ".

    Returns the text before the list and whether anything was dropped. Comma-only lists are
    dropped only when the list goes on after the mention or ends the clause, so that
    "in Azerbaijan, Iran sees …" keeps "Iran" out of "in".

    Examples
    --------
    >>> _strip_list("talks in Baku and ", " on Monday")
    ('talks in ', True)
    >>> _strip_list("reported from Baku, ", ".")
    ('reported from ', True)
    >>> _strip_list("influence in Azerbaijan, ", " sees")
    ('influence in Azerbaijan, ', False)
    """
    separator = _LIST_SEPARATOR_RE.search(before[-12:])
    if separator is None:
        return before, False
    match = _LIST_HEAD_RE.search(before) if separator.group(0)[0] != "," else None
    if match is None and _LIST_GOES_ON_RE.match(after):
        match = _LIST_MIDDLE_RE.search(before)
    if match is None or not match.group(0).strip():
        return before, False
    return before[: match.start()], True


def _is_polity(text: str, span: SpanLike, place: Place | None, is_capital: bool) -> str | None:
    """Say what makes the mention a polity that can act ("a country", "a capital"), or None."""
    if place is None:
        return None
    surface = text[span.start : span.end]
    if place.kind == "country":
        return "a country"
    if is_capital:
        return "a capital"
    if _POLITY_SURFACE_RE.search(surface) or _POLITY_BEFORE_RE.search(
        text[max(0, span.start - 40) : span.start]
    ):
        return "a self-declared polity"
    return None


def _attributive_cue(text: str, span: SpanLike, ftext: str, head: str, fold: Fold) -> str | None:
    """Why the name labels a person, office or organisation, or None.

    ``head`` is the text before the mention with any earlier names of its list removed, so that
    "foreign ministers of Armenia and [Azerbaijan]" reads as "foreign ministers of".
    """
    surface = text[span.start : span.end]
    before_text = text[max(0, span.start - 80) : span.start]
    after_text = text[span.end : span.end + 60]
    after_f = ftext[span.fend : span.fend + 80]
    if "(" in before_text and _PARTY_STATE_RE.search(before_text):
        return f"'{surface}' is the state in a party–state label"
    title = _constituency_title(text, span.start)
    if title is not None:
        return f"'{surface}' names the constituency of '{title}'"
    label = _LABEL_AFTER_RE.match(after_f) or _PEOPLE_LABEL_AFTER_RE.match(after_f)
    if label:
        return f"'{surface}' is part of the title '{surface}{label.group(0)}'"
    label = _LABEL_BEFORE_RE.search(_fold_tail(head, 80, fold))
    if label:
        return f"'{surface}' is part of the title '{label.group(0).strip()} {surface}'"
    window = head[-80:]
    # The "... of" patterns end with "of" then at most three words: skip them unless "of" is
    # one of the last four words (a test that costs far less than their end-anchored search).
    of_near_end = "of" in window.split()[-4:]
    for pattern in (_ORGANISATION_OF_RE, _HONORIFIC_OF_RE, _ACRONYM_OF_RE, _BRAND_BEFORE_RE):
        if pattern is not _BRAND_BEFORE_RE and not of_near_end:
            continue
        organisation = pattern.search(window)
        if organisation:
            return f"'{surface}' is part of the name '{organisation.group(0)}{surface}'"
    title_of = _TITLE_OF_RE.search(window) if of_near_end else None
    if title_of:
        return f"'{surface}' is part of the title '{title_of.group(1)} … {surface}'"
    organisation = _ORGANISATION_AFTER_RE.match(after_text)
    if organisation:
        return f"'{surface}' is part of the name '{surface}{organisation.group(0)}'"
    return None


def _locative_cue(text: str, span: SpanLike, ftext: str, head: str, fold: Fold) -> str | None:
    """Find the spatial evidence that a polity's name means its ground here, or None."""
    after_f = ftext[span.fend : span.fend + 80]
    after_text = text[span.end : span.end + 60]
    before = _fold_tail(head, 100, fold)
    modifier = _LAND_MODIFIER_RE.search(
        _fold_tail(text[max(0, span.start - 40) : span.start], 40, fold)
    )
    if modifier:
        return f"after the land modifier '{modifier.group(1)}'"
    for pattern, what in (
        (_FORCE_AGAINST_RE, "the target of military force"),
        (_TERRITORY_VERB_RE, "the ground of"),
        (_MOTION_TO_RE, "the destination of a movement"),
        (_LAND_OF_RE, "the land in"),
        (_COUNTRIES_LIKE_RE, "a place listed after"),
    ):
        match = pattern.search(before)
        if match:
            return f"{what} '{match.group(0).strip()}'"
    journey = _FROM_TO_RE.search(head[-100:])
    if journey:
        return f"the end of the journey '{journey.group(0).strip()}'"
    head_noun = _LAND_HEAD_RE.match(_plain_after(text, span.end))
    if head_noun:
        return f"followed by the land noun '{head_noun.group(1)}'"
    copula = _LAND_COPULA_RE.match(after_f)
    if copula:
        return f"described as a '{copula.group(1)}'"
    event = _EVENT_AFTER_RE.match(after_text)
    if event:
        return f"names where the '{event.group(1)}' happened"
    return None


def _spatial_preposition(before: str, after_f: str) -> str | None:
    """Return the spatial preposition governing the name ("in", "through", "from"), or None."""
    if _MODIFIED_NOUN_RE.match(after_f):
        return None
    match = _LOCATIVE_PREPOSITION_RE.search(before)
    if match:
        return match.group(1)
    if _FROM_RE.search(before) and not _FROM_ACTOR_RE.search(before):
        return "from"
    return None


#: Sports results and transfers: a town's name stands for its team ("a defeat to Reading").
_TEAM_BEFORE_RE = _EndPattern(
    r"\b(?:(?:loss|losses|defeat|defeats|victory|victories|win|wins|draw)\s+(?:to|against|over|"
    r"at)|on loan from|beat|beats|beating|defeated|outscored|eliminated)\s+(?:the\s+)?$",
    runs=4,
    ends=(
        "to",
        "against",
        "over",
        "at",
        "from",
        "beat",
        "beats",
        "beating",
        "defeated",
        "outscored",
        "eliminated",
        "the",
    ),
)
#: A possessive or a hyphenated compound right after the name: "X's favour", "X-brokered".
_MODIFIER_AFTER_RE = re.compile(r"^(?:'s?(?=\s)|[-–‐‑][a-z])")
_BY_AGENT_RE = _EndPattern(
    r"\b(?:by|at the hands of)\s+(?:the\s+|both\s+)?$", runs=5, ends=("by", "of", "the", "both")
)


def assign_role(
    text: str,
    span: SpanLike,
    ftext: str,
    place: Place | None,
    *,
    fold: Fold,
    is_capital: bool = False,
) -> tuple[Role, str]:
    """Decide the role of a mention from the words around it; return ``(role, reason)``.

    ``attributive`` inside a title or label (party–state labels, "Reps. … of California",
    "Azerbaijan's ambassador", "foreign ministers of X", "OSCE Minsk Group", "X officials").
    Polities (countries, national capitals, self-declared republics) are ``locative`` only on
    spatial evidence (a spatial preposition, a territorial verb or noun, military force against
    them, a land noun or modifier, an event name) and ``metonymic`` otherwise: in news, a state's
    name mostly stands for its government. Other places (towns, regions, corridors) are
    ``locative``.

    Parameters
    ----------
    text
        The article text.
    span
        Where the mention sits (``geo.matching.Span`` or any object with the same offsets).
    ftext
        ``text`` folded by ``fold``'s rules (``geo.matching.fold_text(text).text``).
    place
        The place the mention names, or None for a name no source resolved.
    fold
        Folds a piece of text the way ``ftext`` was folded (``geo.matching.fold``).
    is_capital
        Whether the place is a national capital (a capital can act for its state).

    Examples
    --------
    Plain ASCII text folds by lower-casing it:

    >>> from types import SimpleNamespace as Where
    >>> t = "Baku has proposed a route."
    >>> baku = Place("baku", "Baku", "settlement")
    >>> assign_role(t, Where(start=0, end=4, fend=4), t.lower(), baku, fold=str.lower,
    ...             is_capital=True)
    ('metonymic', "'Baku' (a capital) is the subject of 'has proposed'")
    >>> t = "Troops moved into Azerbaijan."
    >>> az = Place("az", "Azerbaijan", "country")
    >>> assign_role(t, Where(start=18, end=28, fend=28), t.lower(), az, fold=str.lower)
    ('locative', "'Azerbaijan' (a country) follows the spatial preposition 'into'")
    """
    surface = text[span.start : span.end]
    if _in_dateline(text, span.start, span.end):
        return "locative", f"'{surface}' is in the dateline (where the story was filed)"
    head, listed = _strip_list(
        text[max(0, span.start - 160) : span.start], text[span.end : span.end + 60]
    )
    attributive = _attributive_cue(text, span, ftext, head, fold)
    if attributive:
        return "attributive", attributive
    who = _is_polity(text, span, place, is_capital)
    if who is None:
        what = place.kind if place is not None else "unresolved name"
        team = _TEAM_BEFORE_RE.search(_fold_tail(head, 60, fold))
        if team:
            return "metonymic", f"'{surface}' ({what}) names a team after '{team.group(0).strip()}'"
        return "locative", f"'{surface}' ({what}) is taken as the place itself"
    after_f = ftext[span.fend : span.fend + 80]
    before = _fold_tail(head, 100, fold)
    in_list = " (in a list)" if listed else ""
    # In "in Azerbaijan's favour" or "part of a Russia-brokered deal" the words before govern
    # the possessed noun or the compound, not the place: only the words after decide.
    governed = not _MODIFIER_AFTER_RE.match(_plain_after(text, span.end))
    preposition = _spatial_preposition(before, after_f) if governed else None
    if preposition:
        return (
            "locative",
            f"'{surface}' ({who}) follows the spatial preposition '{preposition}'{in_list}",
        )
    recipient = _RECIPIENT_RE.search(before) if governed else None
    if recipient:
        return "metonymic", f"'{surface}' ({who}) receives '{recipient.group(0).strip()}'"
    cue = _locative_cue(text, span, ftext, head if governed else "", fold)
    if cue:
        return "locative", f"'{surface}' ({who}) is {cue}{in_list}"
    return _metonymic_reason(surface, who, before, after_f)


_DATELINE_WORD = r"[A-Z][\w.'’-]*"
_DATELINE_NAME = rf"{_DATELINE_WORD}(?:[ \t]+{_DATELINE_WORD}){{0,3}}"
_DATELINE_CAPS = r"[A-Z][A-Z.'’-]+(?:[ \t]+[A-Z][A-Z.'’-]+){0,3}"
#: "YEREVAN —", "TBILISI, Georgia —", "MOSCOW (Reuters) -", "Kyiv, Ukraine (AP) —",
#: "MOSCOW, Jan 5 (Reuters) -" opening a paragraph. A Title Case opening needs the comma part
#: or the agency, so that a headline "Armenia – Azerbaijan talks" is no dateline.
DATELINE_RE = re.compile(
    rf"[ \t]*(?:{_DATELINE_CAPS}(?:[ \t]*,[ \t]*{_DATELINE_NAME}(?:[ \t]+\d{{1,2}})?)?"
    rf"(?:[ \t]*\([^()\n]{{1,40}}\))?"
    rf"|{_DATELINE_NAME}(?:[ \t]*,[ \t]*{_DATELINE_NAME}(?:[ \t]+\d{{1,2}})?"
    rf"(?:[ \t]*\([^()\n]{{1,40}}\))?|[ \t]*\([^()\n]{{1,40}}\)))"
    r"[ \t]*(?:—|–|--|-)[ \t]+\S"
)


def _in_dateline(text: str, start: int, end: int) -> bool:
    r"""Whether ``[start, end)`` lies in a dateline opening its line ("TBILISI, Georgia —").

    Examples
    --------
    >>> t = "Intro\n\nTBILISI, Georgia — The talks began."
    >>> _in_dateline(t, 7, 14), _in_dateline(t, 16, 23), _in_dateline(t, 26, 31)
    (True, True, False)
    >>> _in_dateline("Armenia – Azerbaijan talks resume", 0, 7)
    False
    """
    window = max(0, start - 80)
    line_start = text.rfind("\n", window, start) + 1
    if line_start == 0 and window > 0:
        return False  # no line start near: not the opening of a paragraph
    match = DATELINE_RE.match(text, line_start, min(len(text), line_start + 160))
    return match is not None and end < match.end()


def _metonymic_reason(surface: str, who: str, before: str, after_f: str) -> tuple[Role, str]:
    """Explain why a polity with no spatial cue stands for its state, people or army."""
    subject = _SUBJECT_RE.match(after_f)
    if subject:
        verb = subject.group(0).strip(" ,")
        return "metonymic", f"'{surface}' ({who}) is the subject of '{verb}'"
    possessive = _POSSESSIVE_RE.match(after_f)
    if possessive:
        return "metonymic", f"'{surface}' ({who}) owns '{possessive.group(0).strip()}'"
    for pattern, what in (
        (_RECIPIENT_RE, "receives"),
        (_FROM_ACTOR_RE, "is the source of"),
        (_BY_AGENT_RE, "is the agent after"),
    ):
        match = pattern.search(before)
        if match:
            return "metonymic", f"'{surface}' ({who}) {what} '{match.group(0).strip()}'"
    return "metonymic", f"'{surface}' ({who}) has no spatial cue, so it stands for the state"
