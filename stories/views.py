from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
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


@require_GET
def story_detail(request, slug):
    story = get_object_or_404(
        story_cards(Story.objects.published()).prefetch_related(
            Prefetch("posts", queryset=LinkedPost.objects.order_by("position")), "sources"
        ),
        slug=slug,
    )
    return render(request, "stories/story_detail.html", {"story": story})


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
