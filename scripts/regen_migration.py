"""Regenerate the initial Alembic migration from the models (before the first release only).

Run ``make migration`` after changing models: until Lingqu has a released schema, the whole
schema is one migration, 0001_initial. After the first release, add new revisions instead.
"""

import tempfile
from pathlib import Path

from alembic import command

from lingqu.db.migrate import MIGRATIONS, alembic_config

versions = MIGRATIONS / "versions"
for f in versions.glob("0001_*.py"):
    f.unlink()
with tempfile.TemporaryDirectory() as d:
    url = f"sqlite:///{Path(d) / 'empty.db'}"
    command.revision(alembic_config(url), message="initial schema", autogenerate=True, rev_id="0001")
for f in versions.glob("0001_*.py"):
    f.rename(versions / "0001_initial.py")
print("wrote", versions / "0001_initial.py")
