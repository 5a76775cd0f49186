"""Management commands on a fresh, unmigrated database end in one clear line, not a raw OperationalError."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadflow.core.database import NOT_MIGRATED

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "command",
    [
        ["find_duplicates", "--output", "pairs.csv"],
        ["import_leads", "leads.csv"],
        ["seed_demo"],
        ["createsuperuser", "--noinput", "--username", "x", "--email", "x@example.nl"],
    ],
)
def test_command_on_a_fresh_database_says_to_migrate_first(tmp_path, command):
    (tmp_path / "leads.csv").write_text("email,company\nanna@example.nl,Voorbeeld BV\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",) and not k.startswith("PYTEST")}
    env.update(LEADFLOW_DATA_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="leadflow.settings")
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # The last line (a command may have shown its progress bar before touching the database).
    assert result.stderr.strip().splitlines()[-1] == NOT_MIGRATED
