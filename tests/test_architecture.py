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
    assert "training.train" in mods or mods, "no trainer core modules found"
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
