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
