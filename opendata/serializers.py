"""The API's objects, declared for its OpenAPI document and filled from the records of
opendata/records.py (dictionaries), so that the API, the downloads and the feeds give one
shape of a story."""

from rest_framework import serializers

from preservation.models import ArchivedCopy
from stories.models import LinkedPost, Performer, Story


class CountryRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 3166-1 alpha-2")
    name = serializers.CharField()


class RegionRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()


class CityRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.URLField(help_text="The city's page in the archive")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2")
    region = serializers.CharField(allow_null=True)
    latitude = serializers.FloatField(allow_null=True, help_text="WGS 84")
    longitude = serializers.FloatField(allow_null=True, help_text="WGS 84")
    geonames_id = serializers.IntegerField(allow_null=True)


class PerformerRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.URLField(help_text="The performer's page in the archive")
    kind = serializers.ChoiceField(choices=Performer.Kind.choices)
    role = serializers.CharField(allow_blank=True)
    identified = serializers.BooleanField(
        help_text="False when the sources do not name the performer: the name describes them"
    )


class CopySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ArchivedCopy.Kind.choices)
    captured_at = serializers.DateTimeField(help_text="When the archive captured it (UTC)")
    url = serializers.URLField(help_text="The copy's file in the archive")


class PostSerializer(serializers.Serializer):
    url = serializers.CharField(allow_blank=True, help_text="The post's address, if known")
    platform = serializers.ChoiceField(choices=LinkedPost.Platform.choices)
    author_name = serializers.CharField(allow_blank=True)
    handle = serializers.CharField(allow_blank=True)
    posted_on = serializers.DateField(
        allow_null=True, help_text="When it was posted (not when the act happened)"
    )
    copies = CopySerializer(
        many=True, help_text="The archive's public copies of it, oldest capture first"
    )


class SourceSerializer(serializers.Serializer):
    url = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)
    outlet = serializers.CharField(allow_blank=True)
    published_on = serializers.DateField(allow_null=True)


class StorySerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The story's page: its permanent identifier")
    slug = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Story.Kind.choices)
    start_date = serializers.DateField(allow_null=True, help_text="When it happened: the first day")
    end_date = serializers.DateField(allow_null=True, help_text="When it happened: the last day")
    dates_from = serializers.ChoiceField(
        choices=Story.DateBasis.choices,
        help_text="Whether start_date and end_date are as the sources give them (source) or "
        "inferred by the archive's curators (inferred)",
    )
    summary = serializers.CharField(allow_blank=True)
    body = serializers.CharField(allow_blank=True)
    countries = CountryRefSerializer(many=True)
    regions = RegionRefSerializer(many=True)
    cities = CityRefSerializer(many=True)
    performers = PerformerRefSerializer(many=True)
    posts = PostSerializer(many=True)
    sources = SourceSerializer(many=True)
    published_at = serializers.DateTimeField(help_text="First published in the archive")
    updated_at = serializers.DateTimeField()


class CitySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField(help_text="The city's page in the archive")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2")
    region = serializers.CharField(allow_null=True)
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    geonames_id = serializers.IntegerField(allow_null=True)
    stories = serializers.IntegerField(help_text="Published stories in the city")
    stories_url = serializers.URLField(help_text="Those stories in the API")


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 3166-1 alpha-2")
    name = serializers.CharField()
    url = serializers.URLField(help_text="The country's stories in the archive (the list)")
    stories = serializers.IntegerField(help_text="Published stories in the country")
    stories_url = serializers.URLField(help_text="Those stories in the API")


class PerformerSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField(help_text="The performer's page in the archive")
    kind = serializers.ChoiceField(choices=Performer.Kind.choices)
    role = serializers.CharField(allow_blank=True)
    identified = serializers.BooleanField()
    stories = serializers.IntegerField(help_text="Published stories naming the performer")
    stories_url = serializers.URLField(help_text="Those stories in the API")
