"""The production static build: `collectstatic` with the manifest storage the Dockerfile runs (DEBUG off)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_collectstatic_with_the_production_manifest_storage_succeeds(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DEBUG="false",
        SECRET_KEY="build-time-only-not-used-at-run-time",  # as in the Dockerfile
        STATIC_ROOT=str(tmp_path / "static"),
        LEADFLOW_DATA_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="leadflow.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    # Every file our templates name, hashed, and the vendored scripts with it.
    for name in ("css/leadflow.css", "css/admin.css", "js/workspace.js", "vendor/chart-4.6.1.umd.min.js"):
        assert (tmp_path / "static" / manifest[name]).is_file()
