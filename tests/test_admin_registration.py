import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

ARCHIVE_MODELS = ["country", "region", "city", "performer", "sourcearticle", "story", "linkedpost"]


@pytest.mark.parametrize("model_name", ARCHIVE_MODELS)
def test_every_archive_model_is_in_the_admin(model_name):
    assert apps.get_model("stories", model_name) in admin.site._registry


@pytest.mark.parametrize("model_name", ARCHIVE_MODELS)
def test_admin_list_and_search_answer_with_the_seed_loaded(admin_client, model_name):
    call_command("loaddata", "seed", verbosity=0)
    url = reverse(f"admin:stories_{model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "Florence"}).status_code == 200
