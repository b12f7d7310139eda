from django.contrib import admin
from django.db.models import Count

from stories.models import City, Country, LinkedPost, Performer, Region, SourceArticle, Story


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "country"]
    list_select_related = ["country"]
    list_filter = ["country"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["country"]


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "region", "country", "latitude", "longitude"]
    list_select_related = ["country", "region"]
    list_filter = ["country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["country", "region"]


@admin.register(Performer)
class PerformerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "role", "identified"]
    list_filter = ["kind", "identified"]
    search_fields = ["name", "role"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(SourceArticle)
class SourceArticleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "outlet", "published_on", "url"]
    search_fields = ["title", "outlet", "url", "slug"]
    date_hierarchy = "published_on"


class LinkedPostInline(admin.StackedInline):
    model = LinkedPost
    extra = 0
    fields = [
        "position",
        ("url", "platform"),
        ("author_name", "handle", "posted_on"),
        "text",
        "media_url",
        ("reach", "reach_count"),
    ]


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "kind", "start_date", "end_date", "post_count"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "performers__name", "posts__handle", "posts__url"]
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["cities", "regions", "countries", "performers", "sources"]
    readonly_fields = ["published_at", "created_at", "updated_at"]
    inlines = [LinkedPostInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts"))

    @admin.display(description="posts", ordering="post_count")
    def post_count(self, story):
        return story.post_count


@admin.register(LinkedPost)
class LinkedPostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "platform", "posted_on", "story", "url"]
    list_select_related = ["story"]
    list_filter = ["platform"]
    search_fields = ["handle", "author_name", "url", "text", "story__title"]
    autocomplete_fields = ["story"]


# Appended by the bulk data work (issue 5) apart from the imports above, so that this block
# merges cleanly with the rest of the admin being rewritten in parallel.
from stories.models import LoadRecord  # noqa: E402


@admin.register(LoadRecord)
class LoadRecordAdmin(admin.ModelAdmin):
    """Read-only: the record of bulk loads is written by the commands, never by hand."""

    list_display = ["command", "source", "started_at", "finished_at"]
    list_filter = ["command"]
    search_fields = ["source"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
