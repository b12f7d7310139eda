"""The curators' admin: fast lists, safe edits, the editorial workflow and every version kept.

Who may do what: the `Contributors` and `Editors` groups (migration 0003) hold the model
permissions; the object-level rules are here. A story that is published or withdrawn can be
edited only by users with `stories.publish_story`, and a story that was ever published can
never be deleted. Status changes go only through `stories.workflow`.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.manager import SIMPLE_HISTORY_REVERSE_ATTR_NAME

from stories import workflow
from stories.history import (
    ReadableChanges,
    deleted_stories,
    m2m_values,
    record_baseline,
    restore_deleted_posts,
)
from stories.models import (
    City,
    Country,
    LinkedPost,
    LoadRecord,
    Performer,
    Region,
    SourceArticle,
    Story,
)
from stories.workflow import EDITABLE_BY_CONTRIBUTORS, can_edit_story

# The archive's name on every admin page (issue 14: it said "Django administration"); no
# sidebar of every model beside each page, so the story list has the width it needs.
admin.site.enable_nav_sidebar = False
admin.site.site_header = _("Lockdown Solidarity Archive: curation")
admin.site.site_title = _("Lockdown Solidarity Archive")
admin.site.index_title = _("Stories, places, performers and sources")


def current_story(obj):
    """The story as it is now, even when `obj` is an old version being restored."""
    if obj is None or not hasattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME):
        return obj
    return Story.objects.filter(pk=obj.pk).first()


URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class HistoryAdmin(SimpleHistoryAdmin):
    """Every change recorded with its author; old versions viewable and restorable."""

    formfield_overrides = URL_FIELDS
    # simple-history's list, without a literal "None" where a version has no reason and
    # without links to user accounts most curators may not open.
    object_history_list_template = "admin/history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def save_model(self, request, obj, form, change):
        if change:
            record_baseline(self.model, obj.pk)
        super().save_model(request, obj, form, change)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history checks only the view permission before saving a restored version.
        if request.method == "POST":
            current = self.get_object(request, unquote(object_id))
            allowed = (
                self.has_change_permission(request, current)
                if current is not None
                else self.has_add_permission(request)  # restoring a deleted row re-creates it
            )
            if not allowed:
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def response_change(self, request, obj):
        match = request.resolver_match
        if match is None or not match.url_name.endswith("_simple_history"):
            return super().response_change(request, obj)
        # A revert. Django's message would link the name to the old version's page, and send
        # the curator to the list: show the object as it now is instead.
        opts = self.opts
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        self.message_user(
            request,
            format_html(
                gettext("“{object}” is back to the version you chose."),
                object=format_html('<a href="{}">{}</a>', change, obj),
            ),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(change)


@admin.register(Country)
class CountryAdmin(HistoryAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Region)
class RegionAdmin(HistoryAdmin):
    list_display = ["name", "country"]
    list_select_related = ["country"]
    list_filter = ["country"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["country"]


@admin.register(City)
class CityAdmin(HistoryAdmin):
    list_display = ["name", "slug", "region", "country", "latitude", "longitude"]
    list_select_related = ["country", "region"]
    list_filter = ["country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["country", "region"]


@admin.register(Performer)
class PerformerAdmin(HistoryAdmin):
    list_display = ["name", "kind", "role", "identified"]
    list_filter = ["kind", "identified"]
    search_fields = ["name", "role"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(SourceArticle)
class SourceArticleAdmin(HistoryAdmin):
    list_display = ["__str__", "outlet", "published_on", "url"]
    search_fields = ["title", "outlet", "url", "slug"]
    date_hierarchy = "published_on"
    prepopulated_fields = {"slug": ["outlet", "title"]}

    def get_search_results(self, request, queryset, search_term):
        """Also by the date as the admin shows it (issue 14): "16 March 2020", "March 2020",
        "16 March", "2020-03-16", "2020"; the autocomplete of a story's sources included."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        day = published_on_matching(search_term)
        if day is not None:
            found |= queryset.filter(day)
        return found, duplicates

    def get_deleted_objects(self, objs, request):
        """Django's deletion summary, with the stories that have been published and cite the
        sources as the protected objects: the delete page and the "delete selected" action
        then list them, offer no confirm button and delete nothing on a POST (the model
        refuses too: `SourceArticle.delete()`, the queryset's `delete()`)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        keeping = (
            Story.objects.kept_forever()
            .citing([obj.pk for obj in objs])
            .only("pk", "title", "status", "published_at")
            .order_by("title", "pk")
        )
        protected = [*protected, *(protecting_story(story) for story in keeping)]
        return deleted, counts, perms_needed, protected


# The ways of writing a day the search understands, and what each pins down.
DATE_FORMATS = [
    ("%d %B %Y", ("year", "month", "day")),
    ("%d %b %Y", ("year", "month", "day")),
    ("%Y-%m-%d", ("year", "month", "day")),
    ("%d/%m/%Y", ("year", "month", "day")),
    ("%B %Y", ("year", "month")),
    ("%b %Y", ("year", "month")),
    ("%d %B", ("month", "day")),
    ("%Y", ("year",)),
]


def published_on_matching(term):
    """A condition on `published_on` for a search term that is a date, or None."""
    term = " ".join(term.split())
    for pattern, parts in DATE_FORMATS:
        try:
            day = datetime.datetime.strptime(term, pattern).date()
        except ValueError:
            continue
        return Q(**{f"published_on__{part}": getattr(day, part) for part in parts})
    return None


def protecting_story(story):
    """A story in a list of protected objects: a link to it, and its status."""
    status = story.get_status_display()
    if story.status in workflow.EDITABLE_BY_CONTRIBUTORS:  # reopened after publication
        # Translators: the status of a story once published, then reopened: "Draft, …".
        status = gettext("%(status)s, published before") % {"status": status}
    return format_html(
        '{}: <a href="{}">{}</a> ({})',
        capfirst(Story._meta.verbose_name),
        reverse("admin:stories_story_change", args=[story.pk]),
        story,
        status,
    )


class LinkedPostInline(admin.StackedInline):
    model = LinkedPost
    formfield_overrides = URL_FIELDS
    extra = 0
    fields = [
        "position",
        ("url", "platform"),
        ("author_name", "handle", "posted_on"),
        "text",
        "media_url",
        ("reach", "reach_count"),
        ("hidden", "hidden_reason"),
    ]

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and can_edit_story(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_edit_story(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_edit_story(request.user, obj)


class CountryFilter(admin.SimpleListFilter):
    """A story is in a country through a city, a region or the country itself."""

    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return Country.objects.values_list("code", "name")

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        return queryset.in_countries(Country.objects.filter(code=code))


class CityFilter(admin.SimpleListFilter):
    title = _("city")
    parameter_name = "city"

    def lookups(self, request, model_admin):
        with_stories = Story.cities.through.objects.filter(city=OuterRef("pk"))
        return City.objects.filter(Exists(with_stories)).values_list("slug", "name")

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.in_cities(City.objects.filter(slug=self.value()))


class EventMonthFilter(admin.SimpleListFilter):
    """Stories whose date range overlaps a month, or whose date is unknown."""

    title = _("event date")
    parameter_name = "month"
    UNKNOWN = "unknown"

    def lookups(self, request, model_admin):
        months = Story.objects.dates("start_date", "month")
        return [(f"{m:%Y-%m}", date_format(m, "YEAR_MONTH_FORMAT")) for m in months] + [
            (self.UNKNOWN, gettext("Date unknown"))
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == self.UNKNOWN:
            return queryset.filter(start_date__isnull=True)
        try:
            year, month = (int(part) for part in value.split("-"))
        except ValueError:
            return queryset.none()
        return queryset.filter(
            Q(start_date__year__lt=year) | Q(start_date__year=year, start_date__month__lte=month),
            Q(end_date__year__gt=year) | Q(end_date__year=year, end_date__month__gte=month),
        )


@admin.action(description=_("Delete selected stories never published"), permissions=["delete"])
def delete_selected(modeladmin, request, queryset):
    """Django's delete (with its confirmation page), for stories never published only."""
    kept = queryset.kept_forever().count()
    if kept:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)s skipped: a story that has been published is never deleted "
                "(withdraw it instead).",
                "%(count)s skipped: a story that has been published is never deleted "
                "(withdraw it instead).",
                kept,
            )
            % {"count": kept},
            messages.WARNING,
        )
    deletable = queryset.deletable()
    if not deletable.exists():
        return None
    return django_delete_selected(modeladmin, request, deletable)


def transition_action(name):
    transition = workflow.TRANSITIONS[name]
    permission = "publish" if transition.permission == "stories.publish_story" else "change"

    @admin.action(description=transition.action, permissions=[permission])
    def action(modeladmin, request, queryset):
        report = workflow.apply(queryset, name, request.user)
        level = messages.WARNING if report.skipped else messages.SUCCESS
        modeladmin.message_user(request, report.message, level)

    action.__name__ = name
    return action


class StoryForm(forms.ModelForm):
    """The change form, and the form of each old version (restoring one saves through it)."""

    def clean_sources(self):
        sources = self.cleaned_data["sources"]
        story = current_story(self.instance) if self.instance.pk else None
        if (
            story is not None
            and story.status == Story.Status.PUBLISHED
            and not sources
            and story.sources.exists()
        ):
            # Publishing needs a source (stories.workflow); the public story keeps its last
            # one, whether an edit or a restored version would remove it.
            raise ValidationError(
                gettext(
                    "A published story needs at least one source article. Withdraw it "
                    "first to remove the last one."
                ),
                code="published_without_source",
            )
        return sources


@admin.register(Story)
class StoryAdmin(HistoryAdmin):
    form = StoryForm
    list_display = [
        "title",
        "status",
        "kind",
        "dates",
        "places",
        "performer_names",
        "post_count",
        "published_on",
    ]
    list_filter = ["status", "kind", "dates_from", CountryFilter, CityFilter, EventMonthFilter]
    search_fields = [
        "title",
        "slug",
        "performers__name",
        "posts__handle",
        "posts__author_name",
        "posts__url",
    ]
    date_hierarchy = "start_date"
    # The slug follows the title only while it may still change: see get_prepopulated_fields.
    # (Not a class attribute: django-simple-history's version pages read that one directly,
    # and name the slug even where it is read-only, which failed for published stories.)
    prepopulated_fields = {}
    autocomplete_fields = ["cities", "regions", "countries", "performers", "sources"]
    inlines = [LinkedPostInline]
    actions = [delete_selected, *(transition_action(name) for name in workflow.TRANSITIONS)]
    change_form_template = "admin/stories/story/change_form.html"
    object_history_form_template = "admin/stories/story/object_history_form.html"
    change_list_template = "admin/stories/story/change_list.html"
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "summary", "body"]}),
        (
            _("When and where"),
            {
                "fields": [
                    ("start_date", "end_date"),
                    "dates_from",
                    "dates_note",
                    "cities",
                    "regions",
                    "countries",
                ]
            },
        ),
        (_("Who and from what"), {"fields": ["performers", "sources"]}),
        (
            _("Editorial"),
            {"fields": ["status", "published_at", "curator_notes", ("created_at", "updated_at")]},
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(post_count=Count("posts"))
            .prefetch_related(
                Prefetch("cities", queryset=City.objects.only("pk", "name")),
                "regions",
                "countries",
                Prefetch("performers", queryset=Performer.objects.only("pk", "name")),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        # Editors paste handles as they appear on the platforms: "@MuhammadLila".
        terms = " ".join(term.removeprefix("@") for term in search_term.split())
        return super().get_search_results(request, queryset, terms)

    # Dates as one column, the publication as a day: the list fits 1,280 px (issue 14).
    @admin.display(description=_("dates"), ordering="start_date")
    def dates(self, story):
        if story.start_date is None:
            return gettext("unknown")
        start = date_format(story.start_date, "j M Y")
        if story.end_date in (None, story.start_date):
            days = start
        else:
            # Translators: a story's first and last days in the admin's list: "14 – 15 Mar
            # 2020".
            days = gettext("%(start)s – %(end)s") % {
                "start": start,
                "end": date_format(story.end_date, "j M Y"),
            }
        if story.dates_inferred:
            # Translators: the dates of a story a curator dated, in the admin's list.
            return gettext("%(days)s (inferred)") % {"days": days}
        return days

    @admin.display(description=_("published"), ordering="published_at")
    def published_on(self, story):
        return date_format(story.published_at, "j M Y") if story.published_at else "–"

    @admin.display(description=_("posts"), ordering="post_count")
    def post_count(self, story):
        return story.post_count

    @admin.display(description=_("places"))
    def places(self, story):
        names = [c.name for c in story.cities.all()] or [r.name for r in story.regions.all()]
        names = names or [c.name for c in story.countries.all()]
        # Translators: between the names of places or performers in the admin's story list.
        return pgettext("list of names", ", ").join(names) or gettext("unknown")

    @admin.display(description=_("performers"))
    def performer_names(self, story):
        names = [p.name for p in story.performers.all()]
        return pgettext("list of names", ", ").join(names) or gettext("unknown")

    # Permissions ----------------------------------------------------------------------

    def has_publish_permission(self, request):
        return request.user.has_perm("stories.publish_story")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_edit_story(
            request.user, current_story(obj)
        )

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_kept_forever:
            return False
        return super().has_delete_permission(request, obj) and can_edit_story(request.user, obj)

    def has_change_history_permission(self, request, obj=None):
        story = current_story(obj)
        if obj is not None and story is None:  # restoring a deleted draft re-creates it
            return self.has_add_permission(request)
        return self.has_change_permission(request, story)

    def get_readonly_fields(self, request, obj=None):
        fields = ["status", "published_at", "created_at", "updated_at"]
        story = current_story(obj)
        if story is not None and story.is_kept_forever:
            fields.append("slug")  # a public address never changes
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        if "slug" in self.get_readonly_fields(request, obj):
            return {}
        return {"slug": ["title"]}

    # Restoring a version, or a deleted draft ---------------------------------------------

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The version page shows the old status and address; say what a revert keeps.
        current = Story.objects.filter(pk=unquote(object_id)).first()
        extra_context = {**(extra_context or {}), "current": current}
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_urls(self):
        deleted = path(
            "deleted/",
            self.admin_site.admin_view(self.deleted_view),
            name="stories_story_deleted",
        )
        return [deleted, *super().get_urls()]

    def deleted_view(self, request):
        """Deleted drafts, each with a link to review and restore its last version."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": Story._meta,
            "title": gettext("Deleted drafts"),
            "deleted": deleted_stories(Story),
        }
        return TemplateResponse(request, "admin/stories/story/deleted.html", context)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "sources":
            # Said before the click (issue 14): publishing refused it only afterwards.
            kwargs["help_text"] = _(
                "Needed to publish: a story is published only with at least one source "
                "article. A draft may be saved without one."
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        record = getattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None)
        if record is None:
            return form
        old_links = m2m_values(record)

        class VersionForm(form):
            """Shows the places, performers and sources the old version had."""

            def __init__(self, *args, **kwargs):
                kwargs["initial"] = {**old_links, **kwargs.get("initial", {})}
                super().__init__(*args, **kwargs)

        return VersionForm

    # Saving: one version per edit, the workflow fields untouched --------------------------

    def save_formset(self, request, form, formset, change):
        deleted = formset.deleted_forms
        for post_form in formset.initial_forms:
            if post_form.has_changed() or post_form in deleted:
                record_baseline(formset.model, post_form.instance.pk)
        super().save_formset(request, form, formset, change)

    def save_model(self, request, obj, form, change):
        current = Story.objects.filter(pk=obj.pk).first() if obj.pk else None
        record = getattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None)
        if record is not None:
            obj._change_reason = gettext("Restored the version of %(time)s") % {
                "time": f"{record.history_date:%Y-%m-%d %H:%M}"
            }
        if current is not None:
            record_baseline(Story, obj.pk)
            # Status and publication time change only through the workflow, never by
            # a form, nor by restoring an old version.
            obj.status, obj.published_at = current.status, current.published_at
            if current.is_kept_forever:
                obj.slug = current.slug
        else:
            obj.status, obj.published_at = Story.Status.DRAFT, None
        # The version is recorded once the places, performers and sources are saved too:
        # by save_related() on the change form.
        obj.skip_history_when_saving = True
        obj._history_user = request.user
        obj.save()
        if record is not None:
            # Restoring a version: simple-history's view calls form.save_m2m() after this
            # method, and never save_related(). Save the links now (its second call then
            # changes nothing) and record the version.
            if current is None:  # a deleted draft comes back
                restore_deleted_posts(LinkedPost, obj)
            form.save_m2m()
            self.record_version(obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and not (form.has_changed() or any(f.has_changed() for f in formsets)):
            # Saved without a change (or only to press a workflow button, whose move is a
            # version of its own): no empty version in the history.
            del form.instance.skip_history_when_saving
            return
        self.record_version(form.instance, created=not change)

    def record_version(self, obj, created=False):
        """One version per edit, with the places, performers and sources saved with it."""
        del obj.skip_history_when_saving
        obj.save(update_fields=["updated_at"])
        if created:
            # Recorded by this second save, after the links: mark it as the creation it is,
            # so the history says "Created" and not "Changed".
            latest = obj.history.latest()
            Story.history.filter(history_id=latest.history_id).update(history_type="+")

    # Workflow buttons ---------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        story = self.get_object(request, unquote(object_id)) if object_id else None
        name = request.POST.get("_transition") if request.method == "POST" else None
        if name:
            transition = workflow.TRANSITIONS.get(name)
            if transition is None or not transition.allowed(request.user):
                raise PermissionDenied
        draft = story or Story(status=Story.Status.DRAFT)
        extra_context = {
            **(extra_context or {}),
            "transitions": workflow.available(draft, request.user),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        if "_transition" in request.POST:
            return self.apply_transition(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if "_transition" in request.POST:
            return self.apply_transition(request, obj)
        return super().response_change(request, obj)

    def apply_transition(self, request, obj):
        report = workflow.apply(
            Story.objects.filter(pk=obj.pk), request.POST["_transition"], request.user
        )
        level = messages.WARNING if report.skipped else messages.SUCCESS
        self.message_user(
            request,
            gettext("“%(story)s” saved. %(report)s.") % {"story": obj, "report": report.message},
            level,
        )
        return HttpResponseRedirect(reverse("admin:stories_story_change", args=[obj.pk]))


@admin.register(LinkedPost)
class LinkedPostAdmin(HistoryAdmin):
    list_display = ["__str__", "platform", "posted_on", "story", "url", "hidden"]
    list_select_related = ["story"]
    list_filter = ["platform", "hidden"]
    search_fields = ["handle", "author_name", "url", "text", "story__title"]
    autocomplete_fields = ["story"]

    def story_of(self, obj):
        return None if obj is None else Story.objects.filter(pk=obj.story_id).first()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can_edit_story(
            request.user, self.story_of(obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and can_edit_story(
            request.user, self.story_of(obj)
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "story" in form.base_fields and not request.user.has_perm("stories.publish_story"):
            # Contributors attach posts only to stories they can still edit.
            form.base_fields["story"].queryset = Story.objects.filter(
                status__in=EDITABLE_BY_CONTRIBUTORS
            )
        return form


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
