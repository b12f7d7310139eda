"""The gazetteer looks for names only where a word starts with a capital that begins some
name; it finds exactly the names it found when it looked at every word."""

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stories.interchange.gazetteer import MAX_NAME_WORDS, NOT_PLACES, Gazetteer, gazetteer

ARTICLES = Path(__file__).parent / "articles"
# The article the seed was written from, as shared with the team (beside the repository).
SHARED_SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "seed"
WORD = re.compile(r"[^\W\d_]+")


def every_word(places, text):
    """The gazetteer's names in `text` as it found them before: every word of the text in
    turn, each with up to MAX_NAME_WORDS words after it."""
    words = [(m.start(), m.end()) for m in WORD.finditer(text)]
    i = 0
    while i < len(words):
        start = words[i][0]
        if not text[start].isupper():
            i += 1
            continue
        for j in range(min(i + MAX_NAME_WORDS, len(words)), i, -1):
            phrase = text[start : words[j - 1][1]]
            candidates = places.names.get(phrase)
            if candidates and phrase not in NOT_PLACES:
                yield phrase, candidates
                i = j
                break
        else:
            i += 1


def names_found(text):
    places = gazetteer()
    found = [name for name, _ in places._candidates(text)]
    assert found == [name for name, _ in every_word(places, text)]
    return found


def articles():
    paths = sorted(ARTICLES.glob("*.txt")) + sorted(SHARED_SEED.glob("*.txt"))
    assert paths
    return paths


@pytest.mark.parametrize("path", articles(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_an_article_gives_the_same_names_as_reading_every_word(path):
    found = names_found(path.read_text(encoding="utf-8"))
    if path.name == "article-2020-03-16.txt":
        assert {"Italy", "Florence", "Madrid", "Sicily", "Palermo"} <= set(found)


@pytest.mark.parametrize("path", articles(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_an_article_gives_the_same_places_as_reading_every_word(path, monkeypatch):
    text = path.read_text(encoding="utf-8")

    def places_by_paragraph():
        places = gazetteer()
        countries = frozenset(places.mentioned_countries(text))
        return countries, [places.find_places(part, countries) for part in text.split("\n\n")]

    now = places_by_paragraph()
    monkeypatch.setattr(Gazetteer, "_candidates", every_word)
    assert now == places_by_paragraph()
    assert any(now[1])


def some_names():
    """Gazetteer names of one to five words, accented ones, and words that open sentences."""
    names = sorted(gazetteer().names)
    rng = random.Random(2020)
    multi = [name for name in names if " " in name or "-" in name]
    accented = [name for name in names if not name.isascii()]
    return [
        *rng.sample(names, 300),
        *rng.sample(multi, 100),
        *rng.sample(accented, 100),
        *sorted(NOT_PLACES),
    ]


NAMES = some_names()
PIECES = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES).map(str.lower),
    st.sampled_from(NAMES).map(str.upper),
    st.sampled_from([" ", "  ", "\n", "\n\n", ", ", ". ", "-", "'", "’s ", " (", ") ", "2020"]),
    st.text(max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_a_random_text_gives_the_same_names_as_reading_every_word(text):
    names_found(text)


def test_a_five_megabyte_article_gives_the_same_names_as_reading_every_word():
    seed = (ARTICLES / "article-2020-03-16.txt").read_text(encoding="utf-8")
    rng = random.Random(16)
    parts, size = [], 0
    while size < 5 * 2**20:
        words = seed.split(" ")
        for _ in range(40):
            words.insert(rng.randrange(len(words)), rng.choice(NAMES))
        part = " ".join(words)
        parts.append(part)
        size += len(part.encode())
    found = names_found("\n\n".join(parts))
    assert len(found) > 50_000
