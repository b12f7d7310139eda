"""Curating what the archive keeps: editors upload copies and hide them; link checks are
read only. Nobody deletes or edits a copy's file, origin or checksum (the database refuses
it, and the admin offers no way to try); hiding one, with a reason, is the change allowed."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from stories.admin import URL_FIELDS, HistoryAdmin
from stories.models import LinkedPost

from . import files
from .models import ArchivedCopy, CorrectionRequest, LinkCheck

MB = 1024 * 1024
# What an editor may upload, and how large (pictures and short videos; a capture of a whole
# page comes from capture_posts).
UPLOAD_LIMITS = {
    ArchivedCopy.Kind.IMAGE: 20 * MB,
    ArchivedCopy.Kind.SCREENSHOT: 20 * MB,
    ArchivedCopy.Kind.VIDEO: 200 * MB,
}


class UploadForm(forms.ModelForm):
    """A new copy from a file: its kind, its post, where it came from; the checksum, size,
    type, time and uploader are the archive's to record."""

    upload = forms.FileField(
        label=_("File"),
        help_text=_(
            "A picture (JPEG, PNG, GIF or WebP, at most 20 MB) or a short video (MP4 or "
            "WebM, at most 200 MB). Location data is removed from what visitors see; the "
            "file itself is kept as uploaded."
        ),
    )
    original_url = forms.URLField(
        label=_("Original address"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text=_("Where the file was taken from, if known."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(kind.value, kind.label) for kind in UPLOAD_LIMITS],
    )

    class Meta:
        model = ArchivedCopy
        fields = ["post", "kind", "original_url"]

    def clean(self):
        cleaned = super().clean()
        upload, kind = cleaned.get("upload"), cleaned.get("kind")
        if upload is None or kind is None:
            return cleaned
        limit = UPLOAD_LIMITS[kind]
        if upload.size > limit:
            self.add_error(
                "upload",
                gettext("The file is %(size)s MB; a %(kind)s may be at most %(limit)s MB.")
                % {
                    "size": f"{upload.size / MB:.1f}",
                    "kind": ArchivedCopy.Kind(kind).label,
                    "limit": limit // MB,
                },
            )
            return cleaned
        data = upload.read()
        if kind == ArchivedCopy.Kind.VIDEO:
            media_type = files.video_type(data)
            if media_type is None:
                self.add_error("upload", gettext("This is not an MP4 or WebM video."))
                return cleaned
        else:
            try:
                media_type = files.image_type(data)
            except files.NotAnImage as error:
                self.add_error("upload", gettext("This file is %(reason)s.") % {"reason": error})
                return cleaned
        cleaned["data"], cleaned["media_type"] = data, media_type
        return cleaned


class HideForm(forms.ModelForm):
    class Meta:
        model = ArchivedCopy
        fields = ["hidden", "hidden_reason"]


FIXED = [
    "post",
    "kind",
    "original_url",
    "captured_at",
    "captured_by",
    "file",
    "size",
    "media_type",
    "sha256",
    "public_file",
    "public_sha256",
]


@admin.register(ArchivedCopy)
class ArchivedCopyAdmin(HistoryAdmin):
    list_display = ["__str__", "kind", "captured_at", "captured_by", "size", "hidden"]
    list_select_related = ["post", "post__story"]
    list_filter = ["kind", "hidden", "captured_by"]
    search_fields = ["original_url", "sha256", "post__story__title", "post__handle"]
    date_hierarchy = "captured_at"
    raw_id_fields = ["post"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = UploadForm
        else:
            kwargs["form"] = HideForm
            kwargs["fields"] = ["hidden", "hidden_reason"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["post", "kind", "upload", "original_url"]
        return [*FIXED, "hidden", "hidden_reason"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else FIXED

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "post":
            kwargs["queryset"] = LinkedPost.objects.select_related("story")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        copy = files.new_copy(
            data["post"],
            kind=data["kind"],
            data=data["data"],
            media_type=data["media_type"],
            original_url=data.get("original_url", ""),
            captured_by=request.user.get_username(),
            captured_at=timezone.now(),
        )
        obj.pk = copy.pk
        obj.__dict__.update(
            {f.attname: getattr(copy, f.attname) for f in ArchivedCopy._meta.concrete_fields}
        )
        return None

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LinkCheck)
class LinkCheckAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["url", "role", "status", "http_status", "checked_at", "checked_by"]
    list_select_related = ["post", "source"]
    list_filter = ["status", "role", "checked_by"]
    search_fields = ["url", "moved_to"]
    date_hierarchy = "checked_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(HistoryAdmin):
    list_display = ["__str__", "asking", "about", "status", "received_at"]
    list_select_related = ["story", "post"]
    list_filter = ["status", "asking", "about"]
    search_fields = ["reason", "contact", "story__title"]
    date_hierarchy = "received_at"
    fields = [
        "story",
        "post",
        "asking",
        "about",
        "reason",
        "contact",
        "received_at",
        "status",
        "editor_notes",
    ]
    readonly_fields = ["story", "post", "asking", "about", "reason", "contact", "received_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
