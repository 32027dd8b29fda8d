"""One typed settings object for the whole platform (environment variables with the LINGQU_ prefix).

Why one object: every adapter (CLI, API, pages, tests) must agree on which database it talks to;
reading ``os.environ`` in several places is how two of them end up disagreeing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lingqu.exceptions import ConfigError

#: Where the embedded database and other local state live, relative to the working directory.
VAR_DIR = Path("var")
PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev-secret-change-me"}


class Settings(BaseSettings):
    """Platform settings. Each field is read from ``LINGQU_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="LINGQU_", extra="ignore")

    #: SQLAlchemy URL. Default: the embedded SQLite file ``var/lingqu.db``.
    database_url: str = ""
    #: ``development`` or ``production``; production refuses placeholder secrets.
    environment: str = "development"
    #: Key for signing session cookies and CSRF tokens.
    secret_key: str = "dev-secret-change-me"
    #: Rows per chunk for bulk imports: bounds memory, and is the unit of columnar work.
    import_chunk_rows: int = 200_000
    #: Standard change alerts: a supersession, withdrawal or new edition whose date lies within
    #: this many days of the as-of date reaches every maker of the categories it applies to.
    standard_change_days: int = 180

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, v: str) -> str:
        if v not in {"development", "production", "test"}:
            raise ValueError("LINGQU_ENVIRONMENT must be development, production or test")
        return v

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(VAR_DIR / 'lingqu.db').resolve()}"

    def check_for_production(self) -> None:
        if self.environment == "production" and self.secret_key in PLACEHOLDER_SECRETS:
            raise ConfigError("LINGQU_SECRET_KEY is a placeholder; set a real secret in production")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings()
    settings.check_for_production()
    return settings
