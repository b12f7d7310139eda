"""The layers of docs/architecture.md: imports point down towards the models, never up."""

import ast

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR

# (package folder, modules it must never import): the table in docs/architecture.md.
FORBIDDEN = [
    ("stories/models.py", ("stories.", "browse", "opendata")),
    ("stories/admin.py", ("browse", "opendata", "stories.interchange")),
    ("stories/workflow.py", ("browse", "opendata", "stories.interchange")),
    ("stories/history.py", ("browse", "opendata", "stories.interchange")),
    ("stories/search.py", ("browse", "opendata", "stories.interchange")),
    ("stories/facts.py", ("browse", "opendata", "stories.interchange")),
    ("stories/rendering.py", ("browse", "opendata", "stories.interchange")),
    ("stories/interchange", ("browse", "opendata", "stories.admin")),
    ("stories/management", ("browse", "opendata")),
    ("browse", ("stories.interchange", "stories.admin", "opendata", "preservation.admin")),
    ("preservation", ("browse", "opendata", "stories.interchange")),
    ("opendata", ("stories.interchange", "stories.admin")),
]


def imported_modules(path):
    """Every module a Python file imports, as dotted names ("stories.models")."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def python_files(place):
    path = ROOT / place
    return [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))


def test_imports_point_down_towards_the_models():
    wrong = []
    for place, forbidden in FORBIDDEN:
        files = python_files(place)
        assert files, f"{place} holds no Python module"
        for path in files:
            for module in imported_modules(path):
                allowed_self = place == "stories/models.py" and module.startswith("stories.models")
                if module.startswith(forbidden) and not allowed_self:
                    wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("from browse.views import home\n", "browse", True),
        ("import stories.interchange.archive\n", "stories.interchange", True),
        ("from . import views\n", "browse", False),  # relative: within the package
        ("from stories.models import Story\n", "browse", False),
    ],
)
def test_the_import_check_sees_what_a_module_imports(tmp_path, source, module, expected):
    path = tmp_path / "module.py"
    path.write_text(source)
    assert any(name.startswith(module) for name in imported_modules(path)) is expected


def test_the_docker_image_holds_every_app_of_ours():
    """The Dockerfile copies folders one by one: a new app must be added there too."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    ours = [app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()]
    assert ours, "no app of ours found in INSTALLED_APPS"
    missing = [app for app in ours if f"COPY {app} ./{app}" not in dockerfile]
    assert missing == []
