"""OAI-PMH 2.0 at /oai/: the protocol harvesters of archives and libraries speak (AtoM,
DSpace, Omeka S, Europeana's aggregators), with Dublin Core (`oai_dc`) records.

- Items are the stories that are or were public: a published story is a record; a story
  withdrawn after publication is a deleted record (`deletedRecord` is `persistent`: the
  archive keeps every story that was ever published). Drafts never appear.
- Identifiers: `oai:<OAI_REPOSITORY_IDENTIFIER>:<slug>`; a datestamp is the time the story
  last changed (UTC, to the second).
- Sets: `country` and `country:<ISO code>` for each country a published story is in,
  `kind` and `kind:<kind>` for each kind published stories have.
- Lists come 100 records (500 identifiers) a response, ordered by (datestamp, id); the
  resumption token holds the last one's place, the arguments, and the end of the harvest
  (`until`; when not given, the start of the second of the first request), signed so it
  cannot be forged. So a token stays valid while the archive changes, and no story comes
  twice: a story changed during a harvest comes in the next incremental harvest (`from`
  the first response's date).
- Protocol errors are answered as the protocol says: HTTP 200, an `<error code="...">`.

Built with ElementTree; docs/opendata.md says what each Dublin Core element holds.
"""

import datetime
import xml.etree.ElementTree as ET

from django.conf import settings
from django.core import signing
from django.db.models import Min, Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from opendata import records
from stories import facts
from stories.models import Country, FacetTotal, Story

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMAS = {
    OAI: "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
    OAI_DC: "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
}
for prefix, uri in (("", OAI), ("oai_dc", OAI_DC), ("dc", DC), ("xsi", XSI)):
    ET.register_namespace(prefix, uri)

RECORDS_PER_RESPONSE = 100
IDENTIFIERS_PER_RESPONSE = 500
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
TOKEN_SALT = "opendata.oai"
LICENCE = "https://creativecommons.org/licenses/by/4.0/"

# verb: (required arguments, optional ones); a resumption token excludes the others.
VERBS = {
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ("resumptionToken",)),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set", "resumptionToken")),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
}


class OAIError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def q(tag, namespace=OAI):
    return f"{{{namespace}}}{tag}"


def sub(parent, tag, text=None, namespace=OAI, **attributes):
    attributes = {name: records.xml_text(value) for name, value in attributes.items()}
    element = ET.SubElement(parent, q(tag, namespace), attributes)
    if text is not None:
        element.text = records.xml_text(text)
    return element


def utc(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@csrf_exempt  # (the protocol asks for POST too; nothing is changed by either)
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint(request):
    arguments = request.POST if request.method == "POST" else request.GET
    root = ET.Element(q("OAI-PMH"))
    root.set(q("schemaLocation", XSI), f"{OAI} {SCHEMAS[OAI]}")
    sub(root, "responseDate", utc(timezone.now()))
    request_element = sub(root, "request", request.build_absolute_uri(request.path))
    try:
        verb, given = checked(arguments)
        for name, value in given.items():
            request_element.set(name, records.xml_text(value))
        request_element.set("verb", verb)
        facts.bring_up_to_date()
        VERB_HANDLERS[verb](root, request, given)
    except OAIError as error:
        if error.code in ("badVerb", "badArgument"):
            request_element.attrib.clear()  # the protocol: no attributes after these two
        for child in list(root)[2:]:
            root.remove(child)
        sub(root, "error", error.message, code=error.code)
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return HttpResponse(declaration + body, content_type="text/xml; charset=utf-8")


def checked(arguments):
    """(verb, {argument: value}), or the protocol's error for what is wrong."""
    verbs = arguments.getlist("verb")
    if len(verbs) != 1 or verbs[0] not in VERBS:
        if not verbs:
            raise OAIError("badVerb", "No verb was given.")
        if len(verbs) > 1:
            raise OAIError("badVerb", "The verb was given more than once.")
        raise OAIError("badVerb", f"“{verbs[0][:40]}” is not an OAI-PMH verb.")
    verb = verbs[0]
    required, optional = VERBS[verb]
    given = {}
    for name, values in arguments.lists():
        if name == "verb":
            continue
        if name not in required and name not in optional:
            raise OAIError("badArgument", f"{verb} takes no argument “{name[:40]}”.")
        if len(values) > 1:
            raise OAIError("badArgument", f"“{name}” was given more than once.")
        given[name] = values[0]
    if "resumptionToken" in given:
        if len(given) > 1:
            raise OAIError("badArgument", "A resumptionToken comes alone, with the verb.")
        return verb, given
    missing = [name for name in required if name not in given]
    if missing:
        raise OAIError("badArgument", f"{verb} needs “{missing[0]}”.")
    return verb, given


# Identify, ListMetadataFormats, ListSets


def items():
    """Every story that is or was public: published ones, and those withdrawn after it."""
    return Story.objects.kept_forever()


def identify(root, request, given):
    element = sub(root, "Identify")
    sub(element, "repositoryName", _("Lockdown Solidarity Archive"))
    sub(element, "baseURL", request.build_absolute_uri(request.path))
    sub(element, "protocolVersion", "2.0")
    sub(element, "adminEmail", settings.ARCHIVE_CONTACT_EMAIL or f"archive@{request.get_host()}")
    earliest = items().aggregate(earliest=Min("updated_at"))["earliest"]
    sub(element, "earliestDatestamp", utc(earliest or timezone.now()))
    sub(element, "deletedRecord", "persistent")
    sub(element, "granularity", GRANULARITY)


def list_metadata_formats(root, request, given):
    if "identifier" in given:
        story = story_for(given["identifier"])
        if story.status != Story.Status.PUBLISHED:
            raise OAIError("noMetadataFormats", "The item was withdrawn: it has no metadata.")
    element = sub(root, "ListMetadataFormats")
    metadata_format = sub(element, "metadataFormat")
    sub(metadata_format, "metadataPrefix", "oai_dc")
    sub(metadata_format, "schema", SCHEMAS[OAI_DC])
    sub(metadata_format, "metadataNamespace", OAI_DC)


def sets():
    """[(setSpec, setName)]: countries and kinds that published stories have."""
    found = [("country", _("Stories by country")), ("kind", _("Stories by kind of act"))]
    countries = Country.objects.counted().order_by("code").values_list("code", "name")
    found += [(f"country:{code}", name) for code, name in countries]
    totals = FacetTotal.objects.filter(facet="kind", total__gt=0)
    kinds = set(totals.values_list("key", flat=True))
    found += [(f"kind:{kind}", str(label)) for kind, label in Story.Kind.choices if kind in kinds]
    return found


def list_sets(root, request, given):
    if "resumptionToken" in given:
        raise OAIError("badResumptionToken", "ListSets is never cut short: no token is valid.")
    element = sub(root, "ListSets")
    for spec, name in sets():
        set_element = sub(element, "set")
        sub(set_element, "setSpec", spec)
        sub(set_element, "setName", name)


# Records


def identifier_of(story_slug):
    return f"oai:{settings.OAI_REPOSITORY_IDENTIFIER}:{story_slug}"


def story_for(identifier):
    prefix = f"oai:{settings.OAI_REPOSITORY_IDENTIFIER}:"
    slug = identifier[len(prefix) :] if identifier.startswith(prefix) else None
    story = items().filter(slug=slug).first() if slug else None
    if story is None:
        raise OAIError("idDoesNotExist", f"The archive has no item “{identifier[:100]}”.")
    return story


def check_prefix(prefix):
    if prefix != "oai_dc":
        raise OAIError("cannotDisseminateFormat", f"The archive has no format “{prefix[:40]}”.")


def get_record(root, request, given):
    check_prefix(given["metadataPrefix"])
    story = story_for(given["identifier"])
    element = sub(root, "GetRecord")
    write_records(element, request, [story], with_metadata=True)


def parse_datestamp(value, name, end=False):
    """A `from` or `until` argument as a UTC moment; `until` is inclusive, so it becomes
    the first moment after it. Returns (moment, granularity)."""
    try:
        if len(value) == 10:
            day = datetime.date.fromisoformat(value)
            moment = datetime.datetime.combine(day, datetime.time(), datetime.UTC)
            return (moment + datetime.timedelta(days=1) if end else moment), "day"
        if len(value) == 20 and value.endswith("Z") and value[10] == "T":
            moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            moment = moment.replace(tzinfo=datetime.UTC)
            return (moment + datetime.timedelta(seconds=1) if end else moment), "seconds"
    except ValueError:
        pass
    raise OAIError(
        "badArgument", f"“{name}” must be a day (YYYY-MM-DD) or a moment ({GRANULARITY})."
    )


def harvest_from_arguments(given, verb):
    """The harvest a first request asks for: {verb, set, from, until (exclusive), after}."""
    check_prefix(given["metadataPrefix"])
    harvest = {"verb": verb, "set": given.get("set"), "from": None}
    granularities = set()
    if "from" in given:
        start, granularity = parse_datestamp(given["from"], "from")
        harvest["from"] = start.isoformat()
        granularities.add(granularity)
    if "until" in given:
        end, granularity = parse_datestamp(given["until"], "until", end=True)
        granularities.add(granularity)
    else:
        # The harvest ends where it starts, at the start of this second: what changes from
        # then on comes in the next harvest, `from` this response's date (inclusive), and
        # never twice in this one.
        end = timezone.now().replace(microsecond=0)
    harvest["until"] = end.isoformat()
    if len(granularities) > 1:
        raise OAIError("badArgument", "“from” and “until” must have the same granularity.")
    if harvest["set"] is not None and harvest["set"] not in dict(sets()):
        raise OAIError("badArgument", f"The archive has no set “{harvest['set'][:60]}”.")
    harvest["after"], harvest["cursor"] = None, 0
    return harvest


def harvest_from_token(token, verb):
    try:
        harvest = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature as exc:
        raise OAIError("badResumptionToken", "This resumptionToken is not valid.") from exc
    if not isinstance(harvest, dict) or harvest.get("verb") != verb:
        raise OAIError("badResumptionToken", "This resumptionToken is for another verb.")
    return harvest


def in_set(queryset, spec):
    if spec in (None, "country", "kind"):
        return queryset
    facet, _, key = spec.partition(":")
    if facet == "country":
        return queryset.in_countries(Country.objects.filter(code=key))
    return queryset.filter(kind=key)


def selected(harvest):
    stories = in_set(items(), harvest["set"])
    if harvest["from"]:
        stories = stories.filter(updated_at__gte=datetime.datetime.fromisoformat(harvest["from"]))
    stories = stories.filter(updated_at__lt=datetime.datetime.fromisoformat(harvest["until"]))
    if harvest["after"]:
        moment, pk = harvest["after"]
        moment = datetime.datetime.fromisoformat(moment)
        stories = stories.filter(Q(updated_at__gt=moment) | Q(updated_at=moment, pk__gt=pk))
    return stories.order_by("updated_at", "pk")


def list_items(root, request, given, verb, with_metadata):
    if "resumptionToken" in given:
        harvest = harvest_from_token(given["resumptionToken"], verb)
    else:
        harvest = harvest_from_arguments(given, verb)
    size = RECORDS_PER_RESPONSE if with_metadata else IDENTIFIERS_PER_RESPONSE
    found = list(selected(harvest).select_related(None)[: size + 1])
    if not found and not harvest["after"]:
        raise OAIError("noRecordsMatch", "No item matches these arguments.")
    more, found = len(found) > size, found[:size]
    element = sub(root, verb)
    write_records(element, request, found, with_metadata=with_metadata)
    if more or harvest["after"]:
        token = ""
        if more:
            last = found[-1]
            following = {
                **harvest,
                "after": [last.updated_at.isoformat(), last.pk],
                "cursor": harvest["cursor"] + len(found),
            }
            token = signing.dumps(following, salt=TOKEN_SALT, compress=True)
        sub(element, "resumptionToken", token, cursor=str(harvest["cursor"]))


def list_records(root, request, given):
    list_items(root, request, given, "ListRecords", with_metadata=True)


def list_identifiers(root, request, given):
    list_items(root, request, given, "ListIdentifiers", with_metadata=False)


def set_specs(story_kind, country_codes, visible_codes):
    specs = [f"kind:{story_kind}"]
    specs += [f"country:{code}" for code in sorted(country_codes) if code in visible_codes]
    return specs


def write_records(parent, request, stories, with_metadata):
    """A <record> (or, for ListIdentifiers, a <header>) for each story, in order."""
    published = [s.pk for s in stories if s.status == Story.Status.PUBLISHED]
    data = {r["slug"]: r for r in records.story_records(published, records.Addresses(request))}
    visible = set(Country.objects.counted().values_list("code", flat=True))
    countries = countries_of_withdrawn([s for s in stories if s.slug not in data])
    for story in stories:
        record = data.get(story.slug)
        deleted = record is None
        container = sub(parent, "record") if with_metadata else parent
        header = sub(container, "header", **({"status": "deleted"} if deleted else {}))
        sub(header, "identifier", identifier_of(story.slug))
        sub(header, "datestamp", utc(story.updated_at))
        if deleted:
            codes = countries.get(story.pk, ())
        else:
            codes = [country["code"] for country in record["countries"]]
        for spec in set_specs(story.kind, codes, visible):
            sub(header, "setSpec", spec)
        if with_metadata and not deleted:
            dublin_core(sub(container, "metadata"), record)


def countries_of_withdrawn(stories):
    """{story id: country codes} for deleted records' set memberships, from their links."""
    found = {story.pk: set() for story in stories}
    if not found:
        return found
    for story in Story.objects.filter(pk__in=found).prefetch_related(
        "countries", "cities__country", "regions__country"
    ):
        codes = found[story.pk]
        codes.update(c.code for c in story.countries.all())
        codes.update(c.country.code for c in story.cities.all())
        codes.update(r.country.code for r in story.regions.all())
    return found


def dublin_core(metadata, record):
    dc = ET.SubElement(metadata, q("dc", OAI_DC))
    dc.set(q("schemaLocation", XSI), f"{OAI_DC} {SCHEMAS[OAI_DC]}")

    def element(tag, text):
        if text:
            sub(dc, tag, text, namespace=DC)

    element("title", record["title"])
    for performer in record["performers"]:
        element("creator", performer["name"])
    element("subject", str(Story.Kind(record["kind"]).label))
    element("description", record["summary"])
    element("publisher", _("Lockdown Solidarity Archive"))
    if record["start_date"]:
        same = record["end_date"] in (None, record["start_date"])
        period = f"{record['start_date']}/{record['end_date']}"
        element("date", record["start_date"] if same else period)
    element("type", "Event")
    element("identifier", record["url"])
    for source in record["sources"]:
        element("source", source["url"] or source["title"])
    for post in record["posts"]:
        element("relation", post["url"])
    for city in record["cities"]:
        element("coverage", f"{city['name']}, {city['country']}")
    for region in record["regions"]:
        element("coverage", region["name"])
    for country in record["countries"]:
        element("coverage", country["name"])
    element("language", "en")
    element("rights", LICENCE)


VERB_HANDLERS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
    "GetRecord": get_record,
}
