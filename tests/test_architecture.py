"""Boundaries from ARCHITECTURE.md, checked in a fresh interpreter so nothing else imported Django first."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLUE = {"apps.py", "models.py", "jobs.py", "admin.py", "services.py", "selectors.py", "urls.py", "views.py", "api.py"}


def _trainer_core_modules() -> list[str]:
    mods = []
    for path in sorted((ROOT / "training").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if path.name in GLUE or {"management", "migrations", "django"} & set(rel.parts):
            continue
        mods.append(".".join(rel.with_suffix("").parts).removesuffix(".__init__"))
    return mods


def test_trainer_core_imports_no_django():
    mods = _trainer_core_modules()
    assert "training.train" in mods, mods
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in mods)
    code += "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'rest_framework', 'celery'})\n"
    code += "assert not bad, bad\n"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=300)


TRAINER_CORE_PACKAGES = {"format", "model", "data", "run", "inference"}
TRAINER_ROOT_MODULES = {"__init__.py", "train.py", "errors.py", "serve.py", "filter.py"}  # the CLIs
# Django glue lives at the package root, where Django looks for it (apps, models, migrations, commands, jobs).
TRAINER_DJANGO_GLUE = GLUE | {"management", "migrations"}


def test_trainer_tree_groups_the_core_by_purpose_and_keeps_the_django_glue_apart():
    """training/ = core subpackages by purpose + the CLI + errors; Django only in the glue at the root."""
    root = ROOT / "training"
    entries = {p.name for p in root.iterdir() if p.name != "__pycache__"}
    assert TRAINER_CORE_PACKAGES | TRAINER_ROOT_MODULES <= entries, sorted(entries)
    assert entries <= TRAINER_CORE_PACKAGES | TRAINER_ROOT_MODULES | TRAINER_DJANGO_GLUE, sorted(entries)
    for name in TRAINER_CORE_PACKAGES:
        assert (root / name / "__init__.py").is_file(), name
        glue_named = [str(p.relative_to(root)) for p in (root / name).rglob("*.py") if p.name in GLUE]
        assert not glue_named, f"a core module named like Django glue would escape the no-Django test: {glue_named}"
    importing_django = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if any(line.lstrip().startswith(("import django", "from django")) for line in path.read_text().splitlines())
    )
    assert importing_django, "the glue imports Django"
    assert all(p.split("/")[0] in TRAINER_DJANGO_GLUE for p in importing_django), importing_django


def test_toolset_imports_nothing_of_ours_or_django():
    code = (
        "import sys, toolset\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'collection', 'annotation', 'training', 'frontend', 'config'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_views_and_api_classes_do_not_query_models_directly():
    """ARCHITECTURE.md: views and API classes validate, call one service or selector, serialize."""
    offenders = []
    for folder in ("collection/api", "annotation/api", "frontend/views"):
        for path in sorted((ROOT / folder).glob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if ".objects." in line or "get_object_or_404" in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "use a selector or service instead:\n" + "\n".join(offenders)


def test_every_model_of_our_apps_is_in_the_admin(db):
    """Django admin is the first review console: every model of every app is registered."""
    from django.apps import apps
    from django.contrib import admin

    ours = [m for label in ("collection", "annotation", "training") for m in apps.get_app_config(label).get_models()]
    assert len(ours) >= 10
    missing = [m.__name__ for m in ours if not admin.site.is_registered(m)]
    assert not missing, missing
