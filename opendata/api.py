"""The read-only JSON API under /api/ (Django REST framework; docs/opendata.md).

- `/api/stories/` takes the story list's own filters through its own FilterSet
  (`browse.filters.StoryFilter`, by django-filter's backend) and answers the same 400s;
  stories come in the list's order, a page at a time, with a cursor to the next page.
- `/api/stories/<slug>/`, `/api/cities/`, `/api/countries/`, `/api/performers/` and one of
  each: only what the public gates admit (published stories; the places and performers a
  published story links), with each object's public address.
- `/api/schema/`: the OpenAPI 3 document (drf-spectacular).

Anonymous and cacheable like the pages: no authentication class (so no session is read and
no `Vary: Cookie`), the archive's ETag and `Cache-Control: public`, the answer kept whole on
the server until the archive changes (browse/caching.py). A per-address rate limit, checked
before the cache, answers 429 with Retry-After.
"""

import base64
import binascii
import datetime
import json
import math
import re
from functools import wraps

from django.conf import settings
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiFilterExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from browse import facets
from browse.caching import cached, public_page
from browse.filters import MAX_WORDS_LENGTH, SORTS, StoryFilter
from opendata import records
from opendata.serializers import (
    CitySerializer,
    CountrySerializer,
    PerformerSerializer,
    StorySerializer,
)
from stories import facts
from stories.models import City, Country, FacetTotal, LinkedPost, Performer, Story

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


# Rate limit, cache, ETag: around every endpoint.


class AddressRateThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per address (REMOTE_ADDR, or the client's address in
    X-Forwarded-For behind NUM_PROXIES proxies), counted in the shared cache."""

    scope = "api"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def endpoint(view_class):
    """The view, rendered (so the cache can keep it), public, and rate-limited first."""
    view = view_class.as_view()

    def rendered(request, *args, **kwargs):
        return view(request, *args, **kwargs).render()

    cacheable = public_page(rendered)

    @wraps(view)
    def limited(request, *args, **kwargs):
        throttle = AddressRateThrottle()
        if settings.API_RATE_LIMIT and not throttle.allow_request(request, None):
            wait = math.ceil(throttle.wait() or 1)
            response = JsonResponse(
                {"detail": f"Too many requests: try again in {wait} seconds."}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        return cacheable(request, *args, **kwargs)

    limited.cls = view_class  # (for the schema generator, which reads the URLconf)
    return limited


class DetailSerializer(drf.Serializer):
    detail = drf.CharField()


def blank_or(schema):
    """A query parameter's schema: left empty (`date_after=`), it is as if not given."""
    return {"oneOf": [schema, {"type": "string", "maxLength": 0}]}


def responses(ok, *errors):
    """The answers an endpoint gives: `ok`, the 400 or 404 it may give, and always 429."""
    found = {200: ok, 429: DetailSerializer}
    if 404 in errors:
        found[404] = DetailSerializer
    if 400 in errors:
        found[400] = {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Each bad parameter, with what is wrong with it",
        }
    return found


class PublicAPIView(APIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = []  # (checked before the cache: see endpoint())


# Stories.


class StoryFilterSchema(OpenApiFilterExtension):
    """The story filters' parameters are declared on `StoryList.get` (their types, formats and
    empty values), so the backend adds none: drf-spectacular cannot guess a model field for
    a filter that names rows by slug, and said so in a warning per filter."""

    target_class = "opendata.api.StoryFilterBackend"
    priority = 1  # (over drf-spectacular's own, for every DjangoFilterBackend)

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        return []


class StoryFilterBackend(DjangoFilterBackend):
    """django-filter's backend with the story list's FilterSet: the same parameters and the
    same 400s. The country filter's check reads the facet totals, brought up to date first
    (as the list does)."""

    def get_filterset(self, request, queryset, view):
        if "country" in request.query_params:
            facts.bring_up_to_date()
        filterset = super().get_filterset(request, queryset, view)
        request.story_filters = filterset
        return filterset


def encode_cursor(position):
    text = json.dumps(position, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(value):
    try:
        padded = value + "=" * (-len(value) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise drf.ValidationError({"cursor": ["This cursor is not valid."]}) from exc


def bad_cursor():
    return drf.ValidationError({"cursor": ["This cursor is not valid."]})


class CursorPagination(BasePagination):
    """Forward pages a cursor apart, in a stable order, at any depth: the cursor holds the
    last row's place in the order (keyset), so a page deep in a million rows reads from an
    index where an OFFSET would read every row before it. Stories ranked by relevance (words
    and no `sort`) page by position instead: a rank is not a stable key."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return PAGE_SIZE
        # (ASCII digits only: "³".isdigit() is true, and int("³") raises.)
        if not re.fullmatch(r"[0-9]{1,6}", value) or not 1 <= int(value) <= MAX_PAGE_SIZE:
            raise drf.ValidationError(
                {"page_size": [f"Ask for a whole number from 1 to {MAX_PAGE_SIZE}."]}
            )
        return int(value)

    def cursor(self, request):
        value = request.query_params.get(self.cursor_query_param)
        return None if value is None else decode_cursor(value)

    def next_link(self, request, position):
        if position is None:
            return None
        url = request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, encode_cursor(position))

    def get_paginated_response(self, data):
        return Response({"count": self.count, "next": self.next, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "next", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Objects in all the pages"},
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page; null on the last",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: the `next` address of the page before",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Objects a page (default {PAGE_SIZE}, at most {MAX_PAGE_SIZE})",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]


def story_order(filterset):
    """The list's order (see browse.filters.SortFilter): "-date", "date", "title", or
    "relevance" (words and no sort)."""
    data = filterset.form.cleaned_data
    sort = data.get("sort")
    if sort:
        return sort[0]
    return "relevance" if data.get("q") else "-date"


def after(order, position):
    """The stories after `position` (the last row's values) in `order`."""
    if order == "title":
        title, pk = position
        return Q(title__gt=title) | Q(title=title, pk__gt=pk)
    day, title, pk = position
    same = Q(title__gt=title) | Q(title=title, pk__gt=pk)
    if day is None:  # undated stories come last, by title
        return Q(start_date__isnull=True) & same
    day = datetime.date.fromisoformat(day)
    beyond = Q(start_date__lt=day) if order == "-date" else Q(start_date__gt=day)
    return beyond | Q(start_date=day) & same | Q(start_date__isnull=True)


class StoryPagination(CursorPagination):
    def paginate_queryset(self, queryset, request, view=None):
        filterset = request.story_filters
        size, cursor = self.page_size(request), self.cursor(request)
        order = story_order(filterset)
        offset = 0
        try:
            if order == "relevance":
                offset = int(cursor["offset"]) if cursor else 0
                if offset < 0:
                    raise bad_cursor()
            elif cursor:
                queryset = queryset.filter(after(order, cursor["after"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise bad_cursor() from exc
        fields = ("pk", "title") if order == "title" else ("pk", "start_date", "title")
        rows = list(queryset.values_list(*fields)[offset : offset + size + 1])
        more, rows = len(rows) > size, rows[:size]
        position = None
        if more and order == "relevance":
            position = {"offset": offset + size}
        elif more:
            last = rows[-1]
            values = [v.isoformat() if isinstance(v, datetime.date) else v for v in last[1:]]
            position = {"after": [*values, last[0]]}
        self.next = self.next_link(request, position)
        self.count = story_count(request, filterset)
        return records.story_records([row[0] for row in rows], records.Addresses(request))


def story_count(request, filterset):
    """The list's total for these filters, kept in the cache as the list keeps it."""
    data = request.GET.copy()
    for name in ("cursor", "page_size"):
        data.pop(name, None)
    query = facets.Links(data).query
    facts.bring_up_to_date()
    return cached(request, f"count:{query}", lambda: facets.story_count(filterset))


class StoryList(PublicAPIView):
    """Published stories, filtered as the story list filters them, in its order."""

    filter_backends = [StoryFilterBackend]
    filterset_class = StoryFilter
    pagination_class = StoryPagination
    queryset = Story.objects.published()

    def get_queryset(self):
        return self.queryset

    @extend_schema(
        responses=responses(StorySerializer(many=True), 400),
        operation_id="stories_list",
        parameters=[
            OpenApiParameter(
                "city",
                {"type": "array", "items": {"type": "string"}, "maxItems": 20},
                description="City slugs (any of them): `city=florence&city=turin`",
                explode=True,
            ),
            OpenApiParameter(
                "country",
                blank_or({"type": "string", "pattern": "^[A-Za-z]{2}$"}),
                description="ISO 3166-1 alpha-2 code",
            ),
            OpenApiParameter("performer", str, description="A performer's slug"),
            OpenApiParameter(
                "kind", blank_or({"type": "string", "enum": Story.Kind.values}), description="Kind"
            ),
            OpenApiParameter(
                "platform",
                blank_or({"type": "string", "enum": LinkedPost.Platform.values}),
                description="With a post on this platform",
            ),
            *(
                OpenApiParameter(
                    name,
                    blank_or({"type": "string", "format": "date"}),
                    description=f"{words} (YYYY-MM-DD): a story spanning it matches",
                )
                for name, words in (("date_after", "From"), ("date_before", "Until"))
            ),
            *(
                OpenApiParameter(
                    name,
                    blank_or({"type": "string", "format": "date"}),
                    description=f"{words} (YYYY-MM-DD): {what}",
                )
                for name, words, what in (
                    ("posted_after", "Posted from", "with a post dated that day or later"),
                    ("posted_before", "Posted until", "with a post dated that day or earlier"),
                    (
                        "captured_after",
                        "Captured from",
                        "with an archived copy captured that day (UTC) or later",
                    ),
                    (
                        "captured_before",
                        "Captured until",
                        "with an archived copy captured that day (UTC) or earlier",
                    ),
                )
            ),
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": MAX_WORDS_LENGTH},
                description="Words, read as web search engines read them",
            ),
            OpenApiParameter(
                "sort",
                blank_or({"type": "string", "enum": list(SORTS)}),
                description="The order; none: best match first with words, newest event first",
            ),
        ],
    )
    def get(self, request):
        queryset = StoryFilterBackend().filter_queryset(request, self.queryset, self)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, self)
        return paginator.get_paginated_response(StorySerializer(page, many=True).data)


class StoryDetail(PublicAPIView):
    """One published story."""

    @extend_schema(responses=responses(StorySerializer, 404), operation_id="stories_retrieve")
    def get(self, request, slug):
        ids = list(Story.objects.published().filter(slug=slug).values_list("pk", flat=True))
        found = records.story_records(ids, records.Addresses(request))
        if not found:
            raise Http404("No such story.")
        return Response(StorySerializer(found[0]).data)


# Places and performers: what a published story links, with their counts.


def stories_url(request, parameter, value):
    return request.build_absolute_uri(reverse("opendata:api-stories") + f"?{parameter}={value}")


class KeyedPagination(CursorPagination):
    """Pages of a queryset ordered by one unique key (a slug, a code)."""

    def __init__(self, key):
        self.key = key

    def paginate_queryset(self, queryset, request, view=None):
        size, cursor = self.page_size(request), self.cursor(request)
        self.count = queryset.count()
        if cursor:
            if not isinstance(cursor.get("after"), str):
                raise bad_cursor()
            queryset = queryset.filter(**{f"{self.key}__gt": cursor["after"]})
        rows = list(queryset.order_by(self.key)[: size + 1])
        more, rows = len(rows) > size, rows[:size]
        self.next = self.next_link(
            request, {"after": getattr(rows[-1], self.key)} if more else None
        )
        return rows


def totals(facet, objects):
    """{pk: published stories} from the facet totals."""
    keys = [str(obj.pk) for obj in objects]
    found = FacetTotal.objects.filter(facet=facet, key__in=keys).values_list("key", "total")
    return {int(key): total for key, total in found}


def city_data(request, cities):
    counts = totals("city", cities)
    return [
        {
            "slug": city.slug,
            "name": city.name,
            "url": request.build_absolute_uri(city.get_absolute_url()),
            "country": city.country.code,
            "region": city.region.name if city.region else None,
            "latitude": records.coordinate(city.latitude),
            "longitude": records.coordinate(city.longitude),
            "geonames_id": city.geonames_id,
            "stories": counts.get(city.pk, 0),
            "stories_url": stories_url(request, "city", city.slug),
        }
        for city in cities
    ]


def country_data(request, countries):
    counts = totals("country", countries)
    return [
        {
            "code": country.code,
            "name": country.name,
            "url": request.build_absolute_uri(f"{reverse('browse:list')}?country={country.code}"),
            "stories": counts.get(country.pk, 0),
            "stories_url": stories_url(request, "country", country.code),
        }
        for country in countries
    ]


def performer_data(request, performers):
    counts = totals("performer", performers)
    return [
        {
            "slug": performer.slug,
            "name": performer.name,
            "url": request.build_absolute_uri(performer.get_absolute_url()),
            "kind": performer.kind,
            "role": performer.role,
            "identified": performer.identified,
            "stories": counts.get(performer.pk, 0),
            "stories_url": stories_url(request, "performer", performer.slug),
        }
        for performer in performers
    ]


def visible_cities():
    return City.objects.visible().select_related("country", "region")


def counted_countries():
    facts.bring_up_to_date()
    return Country.objects.counted()


class CityList(PublicAPIView):
    """The cities published stories are in, by slug."""

    pagination_class = CursorPagination

    @extend_schema(responses=responses(CitySerializer(many=True), 400), operation_id="cities_list")
    def get(self, request):
        paginator = KeyedPagination("slug")
        page = paginator.paginate_queryset(visible_cities(), request, self)
        return paginator.get_paginated_response(city_data(request, page))


class CityDetail(PublicAPIView):
    @extend_schema(responses=responses(CitySerializer, 404), operation_id="cities_retrieve")
    def get(self, request, slug):
        city = visible_cities().filter(slug=slug).first()
        if city is None:
            raise Http404("No such city.")
        return Response(city_data(request, [city])[0])


class CountryList(PublicAPIView):
    """The countries published stories are in, by code."""

    pagination_class = CursorPagination

    @extend_schema(
        responses=responses(CountrySerializer(many=True), 400), operation_id="countries_list"
    )
    def get(self, request):
        paginator = KeyedPagination("code")
        page = paginator.paginate_queryset(counted_countries(), request, self)
        return paginator.get_paginated_response(country_data(request, page))


class CountryDetail(PublicAPIView):
    @extend_schema(responses=responses(CountrySerializer, 404), operation_id="countries_retrieve")
    def get(self, request, code):
        if not (len(code) == 2 and code.isascii() and code.isalpha()):
            # (Not a code: no query. A NUL byte in it was a 500 from PostgreSQL.)
            raise Http404("No such country.")
        country = counted_countries().filter(code=code.upper()).first()
        if country is None:
            raise Http404("No such country.")
        return Response(country_data(request, [country])[0])


class PerformerList(PublicAPIView):
    """The performers published stories name, by slug."""

    pagination_class = CursorPagination

    @extend_schema(
        responses=responses(PerformerSerializer(many=True), 400), operation_id="performers_list"
    )
    def get(self, request):
        facts.bring_up_to_date()
        paginator = KeyedPagination("slug")
        page = paginator.paginate_queryset(Performer.objects.visible(), request, self)
        return paginator.get_paginated_response(performer_data(request, page))


class PerformerDetail(PublicAPIView):
    @extend_schema(
        responses=responses(PerformerSerializer, 404), operation_id="performers_retrieve"
    )
    def get(self, request, slug):
        facts.bring_up_to_date()
        performer = Performer.objects.visible().filter(slug=slug).first()
        if performer is None:
            raise Http404("No such performer.")
        return Response(performer_data(request, [performer])[0])


class ApiRoot(PublicAPIView):
    """Where each collection is."""

    @extend_schema(
        responses=responses({"type": "object", "additionalProperties": {"type": "string"}}),
        operation_id="root",
    )
    def get(self, request):
        names = {
            "stories": "opendata:api-stories",
            "cities": "opendata:api-cities",
            "countries": "opendata:api-countries",
            "performers": "opendata:api-performers",
            "schema": "opendata:api-schema",
        }
        return Response({key: request.build_absolute_uri(reverse(n)) for key, n in names.items()})


def not_found(request, *args, **kwargs):
    """Any other address under /api/: a 404 in JSON, as the API's own 404s are."""
    return JsonResponse({"detail": "Nothing here: see /api/ for what there is."}, status=404)
