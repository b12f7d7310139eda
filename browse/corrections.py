"""The public form "Request a correction or removal", one per published story.

The story page itself stays cacheable and cookie-free: it links here, and only this page
sets the CSRF cookie. A request lands in the admin (preservation.CorrectionRequest) with the
status "open"; it publishes and changes nothing. Against abuse: CSRF, a honeypot field a
person leaves empty, CORRECTION_RATE_LIMIT requests an hour from one address (counted in
the shared cache, never stored with the request), size limits, and plain text only. A
refused request is shown again as typed, with the reason next to the field (400; 429 past
the rate limit).
"""

import re

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import BaseThrottle

from preservation.models import CorrectionRequest
from stories.models import Story

TAG = re.compile(r"<\s*[A-Za-z!/?]")
RATE_WINDOW = 3600  # seconds


def plain_text(value):
    if TAG.search(value):
        raise forms.ValidationError(
            gettext("Write plain text: the archive does not accept HTML tags.")
        )


class CorrectionForm(forms.ModelForm):
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        help_text=_("(A field for programs that fill in forms by themselves.)"),
    )

    class Meta:
        model = CorrectionRequest
        fields = ["asking", "about", "post", "reason", "contact"]
        labels = {
            "asking": _("You are asking for"),
            "about": _("About"),
            "post": _("Which post (if it is about a post)"),
            "reason": _("What is wrong, and why"),
            "contact": _("How to reach you (optional)"),
        }
        help_texts = {
            "reason": _("Plain text, at most 5,000 characters."),
            "contact": _(
                "An e-mail address or another way to reach you, if you want an answer. "
                "Only the archive's editors see it."
            ),
        }
        widgets = {
            "asking": forms.RadioSelect,
            "about": forms.RadioSelect,
            "reason": forms.Textarea(attrs={"rows": 8, "maxlength": 5000}),
            "contact": forms.TextInput(attrs={"maxlength": 254, "autocomplete": "email"}),
        }

    def __init__(self, *args, story, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = story.posts.filter(hidden=False).order_by("position")
        self.fields["post"].empty_label = gettext("Not about one post")
        self.fields["reason"].validators.append(plain_text)
        self.fields["contact"].validators.append(plain_text)

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise forms.ValidationError(
                gettext("This field must stay empty; the request was not sent.")
            )
        return ""


def over_the_limit(request):
    """Count this request against its address; True past CORRECTION_RATE_LIMIT an hour."""
    # The address as the API's rate limit reads it (REMOTE_ADDR, or X-Forwarded-For behind
    # API_PROXIES proxies): Django REST framework's own reading, so both agree.
    key = f"correction-requests:{BaseThrottle().get_ident(request)}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # (expired between add and incr)
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    return count > settings.CORRECTION_RATE_LIMIT


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def correction_request(request, slug):
    story = Story.objects.published().filter(slug=slug).first()
    if story is None:
        raise Http404(gettext("No such story."))
    status = 200
    if request.method == "POST":
        form = CorrectionForm(request.POST, story=story)
        if over_the_limit(request):
            form.add_error(
                None,
                gettext(
                    "Too many requests from your address in the last hour. Nothing was sent; "
                    "please try again later, or write to the archive."
                ),
            )
            status = 429
        elif form.is_valid():
            correction = form.save(commit=False)
            correction.story = story
            correction.received_at = timezone.now()
            correction.save()
            return redirect("browse:correction-sent", slug=story.slug)
        else:
            status = 400
    else:
        form = CorrectionForm(story=story)
    context = {"story": story, "form": form, "contact_email": settings.ARCHIVE_CONTACT_EMAIL}
    return render(request, "browse/correction_form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD"])
def correction_sent(request, slug):
    story = Story.objects.published().filter(slug=slug).first()
    if story is None:
        raise Http404(gettext("No such story."))
    return render(request, "browse/correction_sent.html", {"story": story})
