"""The map of cities with stories, drawn server-side as SVG over Natural Earth country outlines.

The outlines are Natural Earth's public-domain Admin 0 countries, as TopoJSON from the npm
package world-atlas: 1:50m (static/map/countries-50m.json) for a region, 1:110m
(countries-110m.json) for a view of a continent or the world, where the finer one's points
fall closer together than the drawing can show (the world from 1:50m: 200,000 points
projected, about 400 ms for the process's first map, against 40 ms). They are decoded once
per process, cropped to the area the archive's cities cover and simplified to the drawing's
resolution, so a page carries only the coastlines it shows. No tiles, scripts or fonts from
elsewhere.

Each outline carries its country's ISO 3166-1 numeric code as its `id` ("380" for Italy);
the archive's countries are matched by it, never by name (Natural Earth's English short
names, "Bosnia and Herz.", differ from the archive's). A few outlines have no code (Kosovo,
Somaliland, N. Cyprus): they are drawn but never highlighted.
"""

import json
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from html import escape

import pycountry
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext

OUTLINES = {
    "50m": settings.BASE_DIR / "static" / "map" / "countries-50m.json",
    "110m": settings.BASE_DIR / "static" / "map" / "countries-110m.json",
}
# Degrees of longitude per unit of the drawing beyond which the coarser outlines are drawn:
# a view wider than 96 degrees on the wide drawing, 48 on the phone's.
COARSE_ABOVE = 0.1
WIDTH = 960
HEIGHT = 640
# A phone gets its own, taller drawing (site.css shows one or the other): 960 x 640 on a
# 390-pixel screen made labels 5 pixels high and points 3 pixels wide. Shown 358 pixels
# wide (a 390-pixel screen less the page's margins), this one's labels (16 units) come out
# at 12 pixels, and every point can be tapped over 30 (HIT_RADIUS, an invisible circle
# behind it; still 24 on a 320-pixel screen).
PHONE = (480, 640)
# Coastlines drop points closer than this (units): 0.8 on the wide drawing, about 0.8 of a
# pixel on a desktop; 1.6 on the phone's, about 1.2 pixels there, which keeps its outlines
# (a taller view of more land) to about the wide drawing's weight instead of half as much again.
TOLERANCE = {(WIDTH, HEIGHT): 0.8, PHONE: 1.6}
PHONE_LABELLED = 8
HIT_RADIUS = 20
MIN_SPAN = 12.0  # degrees of longitude the map shows at least, so one city still has context
PAD = 0.25  # of the cities' extent, added on every side
LABELLED = 20  # the busiest cities get a name beside their point


@dataclass
class Shape:
    name: str
    code: str  # ISO 3166-1 numeric, "" where Natural Earth gives none
    bbox: tuple  # (west, south, east, north)
    rings: list  # lists of (lon, lat)


@cache
def country_shapes(scale="50m"):
    """Every country's rings in degrees, decoded from the TopoJSON file of that `scale`."""
    topology = json.loads(OUTLINES[scale].read_text())
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)

    def ring(indexes):
        points = []
        for index in indexes:
            arc = arcs[index] if index >= 0 else arcs[~index][::-1]
            points.extend(arc if not points else arc[1:])
        return points

    shapes = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        rings = [ring(r) for polygon in polygons for r in polygon]
        lons = [p[0] for r in rings for p in r]
        lats = [p[1] for r in rings for p in r]
        shapes.append(
            Shape(
                name=geometry.get("properties", {}).get("name", ""),
                code=geometry.get("id", ""),
                bbox=(min(lons), min(lats), max(lons), max(lats)),
                rings=rings,
            )
        )
    return shapes


class Projection:
    """Equirectangular, with longitude shrunk by the cosine of the middle latitude."""

    def __init__(self, west, south, east, north, size=(WIDTH, HEIGHT)):
        self.width, self.height = size
        self.k = math.cos(math.radians((south + north) / 2))
        # Widen or heighten the box to the drawing's proportions.
        width, height = (east - west) * self.k, north - south
        if width / height < self.width / self.height:
            extra = (height * self.width / self.height / self.k - (east - west)) / 2
            west, east = west - extra, east + extra
        else:
            extra = ((east - west) * self.k * self.height / self.width - height) / 2
            south, north = south - extra, north + extra
        self.west, self.south, self.east, self.north = west, south, east, north
        self.scale = self.width / ((east - west) * self.k)

    def __call__(self, lon, lat):
        return (lon - self.west) * self.k * self.scale, (self.north - lat) * self.scale


def view_box(points):
    """The area (west, south, east, north) the cities' points call for."""
    if not points:
        return (-170.0, -58.0, 190.0, 84.0)
    lons = [lon for lon, _ in points]
    lats = [lat for _, lat in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_x = max((east - west) * PAD, (MIN_SPAN - (east - west)) / 2, 1)
    pad_y = max((north - south) * PAD, 1)
    return (
        west - pad_x,
        max(south - pad_y, -85.0),
        east + pad_x,
        min(north + pad_y, 85.0),
    )


def outline_path(shape, project, tolerance=0.8):
    """SVG path data for a country, dropping points closer than `tolerance` pixels.

    Points beyond the drawing are pulled onto a frame just outside it: vertices of
    Natural Earth coastlines are close together, so this clips without visible change,
    and a far-off coastline collapses to a few points.
    """
    low_x, high_x = -0.05 * project.width, 1.05 * project.width
    low_y, high_y = -0.05 * project.height, 1.05 * project.height
    parts = []
    for ring in shape.rings:
        previous = None
        coords = []
        for lon, lat in ring:
            x, y = project(lon, lat)
            x, y = min(max(x, low_x), high_x), min(max(y, low_y), high_y)
            if previous and abs(x - previous[0]) < tolerance and abs(y - previous[1]) < tolerance:
                continue
            coords.append(f"{x:.1f} {y:.1f}")
            previous = (x, y)
        if len(coords) >= 3 and not _outside(coords):
            parts.append("M" + "L".join(coords) + "Z")
    return "".join(parts)


def _outside(coords):
    """True when a whole ring lies on the frame outside the drawing."""
    xs = {c.split()[0] for c in coords}
    ys = {c.split()[1] for c in coords}
    return len(xs) <= 2 and len(ys) <= 2


@lru_cache(maxsize=4096)
def point_label(language, count):
    """A city's label on the map, by the language it is for and the count: looked up once
    for each, not once a city (2,000 lookups took 140 ms of the cold map page)."""
    return ngettext(
        "%(city)s, %(country)s: %(count)s story",
        "%(city)s, %(country)s: %(count)s stories",
        count,
    )


@dataclass
class Point:
    city: object
    count: int
    x: float
    y: float
    radius: float
    labelled: bool
    # The name goes on the point's left where it would run off the drawing on its right.
    label_left: bool = False

    @property
    def label(self):
        return self.label_in(get_language())

    def label_in(self, language):
        pattern = point_label(language, self.count)
        return pattern % {
            "city": self.city.name,
            "country": self.city.country.name,
            "count": self.count,
        }

    @property
    def label_x(self):
        if self.label_left:
            return round(self.x - self.radius - 3, 1)
        return round(self.x + self.radius + 3, 1)

    @property
    def label_y(self):
        return round(self.y + 4, 1)


def numeric_code(alpha_2):
    """The ISO 3166-1 numeric code ("840") of an alpha-2 code ("US"); None if it has none."""
    country = pycountry.countries.get(alpha_2=alpha_2)
    return country.numeric if country else None


@lru_cache(maxsize=32)
def outlines(box, highlighted, size=(WIDTH, HEIGHT)):
    """The country outlines the area `box` (west, south, east, north) shows, each marked
    `has` when its numeric code is in `highlighted`. The costliest part of a drawing
    (a second for the whole world) depends only on these two, and a handful of areas
    serve most requests: every filter that finds no city gives the world."""
    project = Projection(*box, size=size)
    tolerance = TOLERANCE.get(size, 0.8)
    west, south, east, north = project.west, project.south, project.east, project.north
    scale = "110m" if (east - west) / size[0] > COARSE_ABOVE else "50m"
    countries = []
    for shape in country_shapes(scale):
        w, s, e, n = shape.bbox
        if e < west or w > east or n < south or s > north:
            continue
        path = outline_path(shape, project, tolerance)
        if path:
            countries.append({"name": shape.name, "path": path, "has": shape.code in highlighted})
    return tuple(countries)


def draw(
    cities_with_counts,
    highlighted_countries=(),
    size=(WIDTH, HEIGHT),
    labels=LABELLED,
    radius=4,
    font_size=12,
):
    """Countries and city points for the template: [(city, count)] -> drawing dict.

    `highlighted_countries` are ISO 3166-1 alpha-2 codes ("IT"), the countries with stories;
    `size` the drawing's (width, height); the `labels` busiest cities are named, in
    `font_size` units (site.css sets the same); `radius`, that of a city with one story
    (more stories, a larger point).
    """
    located = [
        (city, count)
        for city, count in cities_with_counts
        if city.latitude is not None and city.longitude is not None
    ]
    coords = [(float(city.longitude), float(city.latitude)) for city, _ in located]
    box = view_box(coords)
    project = Projection(*box, size=size)
    highlighted = frozenset({numeric_code(code) for code in highlighted_countries} - {None})
    countries = outlines(box, highlighted, size)
    busiest = sorted(located, key=lambda pair: -pair[1])[:labels]
    labelled = {city.pk for city, _ in busiest}
    points = []
    for (city, count), (lon, lat) in zip(located, coords, strict=True):
        x, y = project(lon, lat)
        point_radius = round(radius + 3 * math.sqrt(count), 1)
        # A bold label is about 0.65 of its font size a character wide.
        label_end = x + point_radius + 3 + 0.65 * font_size * len(city.name)
        points.append(
            Point(
                city,
                count,
                round(x, 1),
                round(y, 1),
                point_radius,
                city.pk in labelled,
                label_left=label_end > size[0],
            )
        )
    points.sort(key=lambda p: -p.radius)  # small points drawn last, on top
    return {"width": size[0], "height": size[1], "countries": countries, "points": points}


# Thousands of points and list items, written in Python: the template loops took most of the
# map page's time (2,000 cities: about 0.6 s of 0.7 s, warm). The same markup as before.


def _city_url():
    """City pages' URLs without a reverse() per city."""
    template = reverse("browse:city", args=["slug-placeholder"])
    head, _, tail = template.partition("slug-placeholder")
    return lambda slug: f"{head}{slug}{tail}"


TO_THE_LEFT = ' text-anchor="end"'
# The same names and links on every map page, and twice or three times on each.
escaped = lru_cache(maxsize=16384)(escape)


def points_html(points, hit_radius=None, labels=None):
    """The points' markup. Escaped with `html.escape`, as Django's `escape` does, straight
    into one string: `format_html` per point cost more than the rest of the page. With
    `hit_radius`, a point smaller than that has an invisible circle of that radius behind it,
    to be tapped. `labels`: {city pk: escaped label}, filled and read (two drawings of the
    same cities share it)."""
    labels = {} if labels is None else labels
    url = _city_url()
    language = get_language()  # (once: a lookup a point took 15 ms of 2,000 points)
    parts = []
    for point in points:
        hit = (
            f'<circle class="hit" cx="{point.x}" cy="{point.y}" r="{hit_radius}"></circle>'
            if hit_radius and point.radius < hit_radius
            else ""
        )
        label = labels.get(point.city.pk)
        if label is None:
            label = labels[point.city.pk] = escape(point.label_in(language))
        text = (
            f'<text x="{point.label_x}" y="{point.label_y}"'
            f'{TO_THE_LEFT if point.label_left else ""} aria-hidden="true">'
            f"{escaped(point.city.name)}</text>"
            if point.labelled
            else ""
        )
        parts.append(
            f'<a href="{escaped(url(point.city.slug))}" aria-label="{label}">{hit}<circle '
            f'cx="{point.x}" cy="{point.y}" r="{point.radius}"><title>{label}</title>'
            f"</circle>{text}</a>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


@lru_cache(maxsize=4096)
def story_count_label(language, count):
    """ "1,234 stories" in `language` (the active one), escaped: written once for each
    count, not once a page (a map lists some 550 different counts, 13 µs each: 7 ms)."""
    return escape(ngettext("%(n)s story", "%(n)s stories", count) % {"n": intcomma(count)})


def cities_html(cities):
    """The map's list: a <li> per city, with its country and its number of stories."""
    url = _city_url()
    language = get_language()
    labels = {}
    parts = []
    for city in cities:
        count = city.story_count
        if count not in labels:
            labels[count] = story_count_label(language, count)
        parts.append(
            f'<li><a href="{escaped(url(city.slug))}">{escaped(city.name)}</a>, '
            f"{escaped(city.country.name)} · {labels[count]}</li>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
