from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from stories.models import City, LinkedPost, Performer, Story


def story_cards(queryset):
    """What every story list shows: places, performers, without a query per row."""
    return queryset.prefetch_related(
        Prefetch("cities", queryset=City.objects.select_related("country")),
        "regions",
        "countries",
        "performers",
    )


@require_GET
def home(request):
    stories = story_cards(Story.objects.published())
    return render(request, "stories/home.html", {"stories": stories})


def story_page(queryset):
    return story_cards(queryset).prefetch_related(
        Prefetch("posts", queryset=LinkedPost.objects.order_by("position")), "sources"
    )


@require_GET
def story_detail(request, slug):
    story = story_page(Story.objects.published()).filter(slug=slug).first()
    if story is None:
        return unpublished_story(request, slug)
    return render(request, "stories/story_detail.html", {"story": story})


def unpublished_story(request, slug):
    """A story URL that is not public: 410 if withdrawn, a preview for staff, else 404.

    Only this path reads `request.user` (and so the session): published pages never vary
    on the cookie and stay cacheable.
    """
    status = Story.objects.filter(slug=slug).values_list("status", flat=True).first()
    if status is None:
        raise Http404("No such story.")
    if status == Story.Status.WITHDRAWN:
        return render(request, "stories/story_gone.html", status=410)
    if not (request.user.is_staff and request.user.has_perm("stories.view_story")):
        raise Http404("No such story.")
    story = story_page(Story.objects.all()).get(slug=slug)
    response = render(request, "stories/story_preview.html", {"story": story})
    add_never_cache_headers(response)
    return response


@require_GET
def city_detail(request, slug):
    city = get_object_or_404(City.objects.select_related("country", "region"), slug=slug)
    stories = story_cards(Story.objects.published().filter(cities=city))
    return render(request, "stories/city_detail.html", {"city": city, "stories": stories})


@require_GET
def performer_detail(request, slug):
    performer = get_object_or_404(Performer, slug=slug)
    stories = story_cards(Story.objects.published().filter(performers=performer))
    return render(
        request, "stories/performer_detail.html", {"performer": performer, "stories": stories}
    )
