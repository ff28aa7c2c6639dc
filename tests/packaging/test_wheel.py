"""A non-editable install has its route, forms, decision tables, shipped calendar data and migrations (package data)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_an_installed_wheel_migrates_and_deploys_its_bundle(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("vinhdanh-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"bpmn/nomination.bpmn", "bpmn/forms/dossier.schema.json", "bpmn/forms/vote.schema.json",
            "bpmn/council_rules_98_2023.dmn", "bpmn/council_rules_152_2025.dmn",
            "workflows/persistence/data/calendar_vn.json", "workflows/persistence/migrations/env.py",
            "workflows/documents/templates/minutes.html", "workflows/documents/templates/document.css"} <= names
    assert any(n.startswith("workflows/persistence/migrations/versions/0003_") for n in names)

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    script = (
        "import workflows, bpmn\n"
        f"assert workflows.__file__.startswith({str(target)!r}), workflows.__file__\n"
        "from workflows.persistence import migrate\n"
        "from workflows.persistence.db import Database\n"
        f"db = Database('sqlite:///{tmp_path / 'installed.db'}')\n"
        "version, new = migrate.upgrade(db)\n"
        "assert (version, new) == (1, True), (version, new)\n"
        "from workflows.engine import decisions\n"
        "assert sorted(t.file for t in decisions.shipped().tables) == "
        "['council_rules_152_2025.dmn', 'council_rules_98_2023.dmn'], decisions.shipped()\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target))  # ahead of the editable checkout on sys.path
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
