"""What the archive keeps of the posts and articles it cites: copies and link checks.

An archived copy is a file the archive holds of a post (an image, a video, a screenshot, a
page capture as a WARC file), with where it came from, when, by whom or by which command,
and its SHA-256 checksum. It is never altered after the fact: the database refuses an UPDATE
of any of those columns (migration 0001's triggers); a new copy is added instead. Only the
public's view of it may change: an editor hides it, with a reason, and history keeps who did.

A link check is what the archive saw at a post's, media link's or source's address at one
moment (`manage.py check_links`, and every fetch of `capture_posts`): live, gone, withheld,
blocked, moved, unreachable. Checks are added, never edited, so a link's history stays.
"""

import datetime

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from stories.models import LinkedPost, SourceArticle, Story

SHA256 = RegexValidator(r"\A[0-9a-f]{64}\Z", _("A SHA-256 checksum is 64 hexadecimal digits."))


def day_start(day):
    """Midnight UTC at the start of `day` (the site's time zone is UTC)."""
    return datetime.datetime.combine(day, datetime.time(), datetime.UTC)


def copies_storage():
    """The storage of copies: STORAGES["copies"] (a folder by default, COPIES_ROOT)."""
    from django.core.files.storage import storages

    return storages["copies"]


class ArchivedCopyQuerySet(models.QuerySet):
    def visible(self):
        """Copies the public may see: not hidden, of a post that is not hidden, of a
        published story."""
        published = Story.objects.published().filter(pk=OuterRef("post__story_id"))
        return self.filter(hidden=False, post__hidden=False).filter(Exists(published))

    def captured(self, first=None, last=None):
        """Copies captured on a day from `first` to `last` (dates, in UTC, the day the pages
        show); a bound left out is open."""
        condition = Q()
        if first is not None:
            condition &= Q(captured_at__gte=day_start(first))
        if last is not None and last < datetime.date.max:  # (the calendar's last day: open)
            condition &= Q(captured_at__lt=day_start(last + datetime.timedelta(days=1)))
        return self.filter(condition)

    def of_story(self, story):
        """Copies of the posts of `story` (an instance, an id or an OuterRef)."""
        return self.filter(post__story=story)

    def best_first(self):
        """The image or video itself first, then a screenshot, then a page capture; the
        newest capture first within each kind."""
        rank = Case(
            *(When(kind=kind, then=Value(i)) for i, kind in enumerate(ArchivedCopy.BEST_FIRST)),
            output_field=IntegerField(),
        )
        return self.alias(best=rank).order_by("post_id", "best", "-captured_at", "-pk")


class ArchivedCopy(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("image")
        VIDEO = "video", _("video")
        SCREENSHOT = "screenshot", _("screenshot")
        CAPTURE = "capture", _("page capture (WARC)")

    BEST_FIRST = (Kind.IMAGE, Kind.VIDEO, Kind.SCREENSHOT, Kind.CAPTURE)

    post = models.ForeignKey(
        LinkedPost,
        verbose_name=_("post"),
        # The archive keeps its copies: a post with copies cannot be deleted (hide it).
        on_delete=models.PROTECT,
        related_name="copies",
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=12, choices=Kind)
    original_url = models.URLField(
        verbose_name=_("original address"),
        max_length=2000,
        blank=True,
        help_text=_("Where the copy was taken from; empty for a file an editor uploaded."),
    )
    captured_at = models.DateTimeField(verbose_name=_("captured at"))
    captured_by = models.CharField(
        verbose_name=_("captured by"),
        max_length=150,
        help_text=_("The editor who uploaded it, or the command that captured it."),
    )
    file = models.FileField(
        verbose_name=_("file"), storage=copies_storage, max_length=300, upload_to="originals/"
    )
    size = models.PositiveBigIntegerField(verbose_name=_("size in bytes"))
    media_type = models.CharField(verbose_name=_("media type"), max_length=100)
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64, validators=[SHA256])
    public_file = models.FileField(
        verbose_name=_("public file"),
        storage=copies_storage,
        max_length=300,
        blank=True,
        help_text=_("What visitors get of an image: the same picture without its location data."),
    )
    public_sha256 = models.CharField(
        verbose_name=_("public file's SHA-256"), max_length=64, blank=True
    )
    hidden = models.BooleanField(
        verbose_name=_("hidden from the public"),
        default=False,
        help_text=_("The copy stays in the archive, for editors; visitors no longer see it."),
    )
    hidden_reason = models.TextField(
        verbose_name=_("why it is hidden"),
        blank=True,
        help_text=_("Required when the copy is hidden: a takedown request, personal data, …"),
    )

    objects = ArchivedCopyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["post", "-captured_at", "-pk"]
        verbose_name = _("archived copy")
        verbose_name_plural = _("archived copies")
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="preservation_copy_sha256",
                violation_error_message=_("A SHA-256 checksum is 64 hexadecimal digits."),
            ),
            models.CheckConstraint(
                condition=Q(hidden=False) | ~Q(hidden_reason=""),
                name="preservation_copy_hidden_with_reason",
                violation_error_message=_("Say why the copy is hidden."),
            ),
        ]
        indexes = [
            # "Has this address been captured?" (capture_posts skips what it already holds).
            models.Index(fields=["original_url"], name="preservation_copy_url"),
            # The captured-date filters of the story list: WHERE captured_at >= ... AND
            # captured_at < ..., to the post (and so the story).
            models.Index(fields=["captured_at", "post"], name="preservation_copy_captured"),
        ]

    def __str__(self):
        return gettext("%(kind)s of %(post)s, captured %(day)s") % {
            "kind": self.get_kind_display(),
            "post": self.post,
            "day": self.captured_at.date().isoformat(),
        }

    @property
    def served_file(self):
        """The file visitors get: the public derivative if there is one, else the original."""
        return self.public_file or self.file

    @property
    def download_name(self):
        """A file name for a download: the post's id, the copy's and its type's extension."""
        extension = self.file.name.rsplit(".", 1)[-1] if "." in self.file.name else "bin"
        if self.file.name.endswith(".warc.gz"):
            extension = "warc.gz"
        return f"post-{self.post_id}-copy-{self.pk}.{extension}"


class LinkCheckQuerySet(models.QuerySet):
    def visible(self):
        """Checks of what the public may see: a published story's posts that are not
        hidden, and the sources a published story cites."""
        post_public = Q(post__hidden=False) & Exists(
            Story.objects.published().filter(pk=OuterRef("post__story_id"))
        )
        source_public = Exists(Story.objects.published().filter(sources=OuterRef("source_id")))
        return self.filter(
            (Q(post__isnull=False) & post_public) | (Q(source__isnull=False) & source_public)
        )

    def latest_first(self):
        return self.order_by("-checked_at", "-pk")


class LinkCheck(models.Model):
    class Role(models.TextChoices):
        POST = "post", _("post")
        MEDIA = "media", _("media link")
        SOURCE = "source", _("source article")

    class Status(models.TextChoices):
        LIVE = "live", _("live")
        GONE = "gone", _("gone")
        WITHHELD = "withheld", _("withheld")
        BLOCKED = "blocked", _("blocked")
        MOVED = "moved", _("moved")
        ERROR = "error", _("other HTTP error")
        UNREACHABLE = "unreachable", _("unreachable")

    # The statuses that say the original can no longer be seen where the archive cites it.
    OFFLINE = (Status.GONE, Status.WITHHELD)

    post = models.ForeignKey(
        LinkedPost,
        verbose_name=_("post"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="link_checks",
    )
    source = models.ForeignKey(
        SourceArticle,
        verbose_name=_("source article"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="link_checks",
    )
    role = models.CharField(verbose_name=_("what was checked"), max_length=10, choices=Role)
    url = models.URLField(verbose_name=_("address"), max_length=2000)
    status = models.CharField(verbose_name=_("status"), max_length=12, choices=Status)
    http_status = models.PositiveSmallIntegerField(
        verbose_name=_("HTTP status"), null=True, blank=True
    )
    moved_to = models.URLField(
        verbose_name=_("moved to"),
        max_length=2000,
        blank=True,
        help_text=_("Where the address redirected to, when it did."),
    )
    detail = models.CharField(verbose_name=_("detail"), max_length=500, blank=True)
    checked_at = models.DateTimeField(verbose_name=_("checked at"))
    checked_by = models.CharField(verbose_name=_("checked by"), max_length=150)

    objects = LinkCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_at", "-pk"]
        verbose_name = _("link check")
        verbose_name_plural = _("link checks")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role="source", source__isnull=False, post__isnull=True)
                    | Q(role__in=["post", "media"], post__isnull=False, source__isnull=True)
                ),
                name="preservation_check_of_one_thing",
                violation_error_message=_(
                    "A check is of a post or its media link, or of a source article."
                ),
            ),
        ]
        indexes = [
            # A story page's posts' latest checks; check_links's "not checked since".
            models.Index(fields=["post", "role", "-checked_at"], name="preservation_check_post"),
            models.Index(fields=["source", "-checked_at"], name="preservation_check_source"),
        ]

    def __str__(self):
        return f"{self.url} · {self.get_status_display()} · {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def offline(self):
        return self.status in self.OFFLINE


class CorrectionRequest(models.Model):
    """A visitor's request to correct or remove something of a published story, sent with
    the form on the story's page. It publishes nothing and changes nothing by itself: an
    editor reads it, decides (accepted, declined) and makes any change in the story, the
    post or the copy, where history records it. Never shown to the public."""

    class About(models.TextChoices):
        POST = "post", _("a post or its archived copy")
        FACT = "fact", _("a fact in the story (a date, a place, a name)")
        STORY = "story", _("the whole story")

    class Asking(models.TextChoices):
        CORRECTION = "correction", _("a correction")
        REMOVAL = "removal", _("a removal")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    story = models.ForeignKey(
        Story,
        verbose_name=_("story"),
        on_delete=models.PROTECT,
        related_name="correction_requests",
    )
    post = models.ForeignKey(
        LinkedPost,
        verbose_name=_("post"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="correction_requests",
    )
    about = models.CharField(verbose_name=_("about"), max_length=10, choices=About)
    asking = models.CharField(verbose_name=_("asking for"), max_length=12, choices=Asking)
    reason = models.TextField(verbose_name=_("what and why"), max_length=5000)
    contact = models.CharField(verbose_name=_("contact"), max_length=254, blank=True)
    received_at = models.DateTimeField(verbose_name=_("received at"))
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=Status, default=Status.OPEN
    )
    editor_notes = models.TextField(
        verbose_name=_("editors' notes"),
        blank=True,
        help_text=_("What was decided and done, for the next editor. Not sent to anyone."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("correction or removal request")
        verbose_name_plural = _("correction and removal requests")
        indexes = [
            # The admin's list of open requests, newest first.
            models.Index(fields=["status", "-received_at"], name="preservation_request_open"),
        ]

    def __str__(self):
        return gettext("Request for %(asking)s of “%(story)s”") % {
            "asking": self.get_asking_display(),
            "story": self.story.title,
        }
