"""Typed configuration, read once from the environment (see README "Configuration")."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import click
from cryptography.fernet import Fernet

ENVIRONMENTS = ("development", "test", "production")
DEFAULT_PORT = 8000
# Admin API version of every GraphQL call, webhook subscription (shopify.app.toml) and the sandbox's
# signed sender. Shopify supports a version for 12 months; tests/shopify/test_app_config.py fails once
# this one is 9 months old, so it is moved to the current stable release before support ends.
SHOPIFY_API_VERSION = "2026-10"
# Sandbox credentials are generated per machine; they only ever talk to local simulators.
SANDBOX_API_KEY = "ringback-sandbox"


class ConfigError(click.ClickException):
    """The environment does not describe a runnable app.

    A ClickException, so that every `flask --app app …` command (whose CLI prints a traceback for
    anything else the factory raises) shows it as one line, "Error: …", and exits with status 1.
    """


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment."""

    APP_ENV: str = "development"
    PORT: int = DEFAULT_PORT
    APP_URL: str = ""
    SHOPIFY_API_KEY: str = ""
    SHOPIFY_API_SECRET: str = ""
    SHOPIFY_OLD_API_SECRET: str = ""
    SHOPIFY_SCOPES: str = "read_orders,write_discounts"
    SHOPIFY_ADMIN_URL_TEMPLATE: str = "https://{shop}"
    SHOPIFY_API_VERSION: str = SHOPIFY_API_VERSION
    DATABASE_URL: str = ""
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    RINGBACK_ENCRYPTION_KEYS: tuple[str, ...] = ()
    RINGBACK_LOOKUP_KEY: str = ""
    SECRET_KEY: str = ""
    TWILIO_ACCOUNT_SID: str = ""
    TWILIO_AUTH_TOKEN: str = ""
    TWILIO_FROM_NUMBER: str = ""
    TWILIO_MESSAGING_SERVICE_SID: str = ""
    TWILIO_API_BASE_URL: str = "https://api.twilio.com"
    # Most outbound calls started per second across all workers (Twilio's default account limit: 1).
    TWILIO_CALLS_PER_SECOND: float = 1.0
    # Seconds to wait for a Twilio REST answer; past it, a call may or may not have been created.
    TWILIO_HTTP_TIMEOUT_SECONDS: float = 10.0
    RINGBACK_AGENT: str = "rules"
    OPENAI_API_KEY: str = ""
    OPENAI_BASE_URL: str = ""
    RINGBACK_LLM_MODEL: str = ""
    # A model slower than this answers nothing: the rules agent speaks that turn instead.
    RINGBACK_LLM_TIMEOUT_SECONDS: float = 3.0
    RINGBACK_QUEUE: str = "ringback"
    # Seconds a webhook delivery may sit unqueued before the sweeper re-enqueues it.
    WEBHOOK_SWEEP_GRACE_SECONDS: int = 60
    # On PostgreSQL, concurrent webhook deliveries share one INSERT and commit (group commit).
    WEBHOOK_GROUP_COMMIT: bool = True
    # Backoff for Admin API retries: base * 2**attempt seconds.
    SHOPIFY_RETRY_BASE_SECONDS: float = 1.0
    SHOPIFY_MAX_RETRIES: int = 4
    SANDBOX: bool = False
    INSTANCE_PATH: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.APP_ENV == "production"

    def flask_config(self) -> dict[str, object]:
        """The mapping handed to `app.config`."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        values["SQLALCHEMY_DATABASE_URI"] = self.DATABASE_URL
        values["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(self.DATABASE_URL)
        values["TESTING"] = self.APP_ENV == "test"
        values.update(self.extra)
        return values


def _engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        # Workers and the web process share the file; wait for locks instead of failing.
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True, "pool_recycle": 1800, "connect_args": {"connect_timeout": 5}}


def load(overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None):
    """Build Settings from the environment plus explicit overrides (tests pass a mapping)."""
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    raw = {**env, **{k: v for k, v in overrides.items() if isinstance(v, str)}}

    app_env = str(overrides.get("APP_ENV", raw.get("APP_ENV", "development")))
    if app_env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
    production = app_env == "production"
    port = _int(raw.get("PORT"), DEFAULT_PORT, "PORT")
    instance = Path(str(overrides.get("INSTANCE_PATH") or raw.get("RINGBACK_INSTANCE_PATH")
                        or Path.cwd() / "instance"))

    values: dict[str, object] = {
        "APP_ENV": app_env,
        "PORT": port,
        "INSTANCE_PATH": str(instance),
        "APP_URL": (raw.get("APP_URL") or raw.get("HOST") or f"http://127.0.0.1:{port}").rstrip("/"),
    }
    for name in (
        "SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "SHOPIFY_OLD_API_SECRET", "SHOPIFY_ADMIN_URL_TEMPLATE",
        "REDIS_URL", "RINGBACK_LOOKUP_KEY", "SECRET_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER", "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_BASE_URL", "RINGBACK_AGENT",
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "RINGBACK_LLM_MODEL", "RINGBACK_QUEUE",
    ):
        if raw.get(name):
            values[name] = raw[name]
    if raw.get("SCOPES"):
        values["SHOPIFY_SCOPES"] = raw["SCOPES"]
    for name in ("TWILIO_CALLS_PER_SECOND", "TWILIO_HTTP_TIMEOUT_SECONDS", "RINGBACK_LLM_TIMEOUT_SECONDS"):
        if raw.get(name):
            values[name] = _positive_float(raw[name], name)
    if raw.get("WEBHOOK_GROUP_COMMIT"):
        values["WEBHOOK_GROUP_COMMIT"] = _flag(raw["WEBHOOK_GROUP_COMMIT"], "WEBHOOK_GROUP_COMMIT")
    if values.get("RINGBACK_AGENT", "rules") not in ("rules", "openai"):
        raise ConfigError("RINGBACK_AGENT must be 'rules' or 'openai'")
    if values.get("RINGBACK_AGENT") == "openai" and not values.get("RINGBACK_LLM_MODEL"):
        raise ConfigError("RINGBACK_AGENT=openai needs RINGBACK_LLM_MODEL (and OPENAI_API_KEY, "
                          "OPENAI_BASE_URL for a provider other than OpenAI)")

    values["SANDBOX"] = not production and not raw.get("SHOPIFY_API_KEY")
    values["DATABASE_URL"] = raw.get("DATABASE_URL") or f"sqlite:///{instance / 'ringback.db'}"
    keys = tuple(k.strip() for k in raw.get("RINGBACK_ENCRYPTION_KEYS", "").split(",") if k.strip())
    values["RINGBACK_ENCRYPTION_KEYS"] = keys

    if production:
        _require_production_secrets(values, raw)
    else:
        _fill_local_secrets(values, instance)

    known = {f.name for f in fields(Settings)} - {"extra"}
    values.update({k: v for k, v in overrides.items() if k in known and not isinstance(v, str)})
    values["extra"] = {k: v for k, v in overrides.items() if k not in known}
    _validate_keys(values["RINGBACK_ENCRYPTION_KEYS"])
    return Settings(**values)


def _int(value: str | None, default: int, name: str) -> int:
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer") from exc


def _flag(value: str, name: str) -> bool:
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off (1/0, true/false)")


def _positive_float(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number") from exc
    if not number > 0 or number != number or number == float("inf"):
        raise ConfigError(f"{name} must be a positive number")
    return number


def _require_production_secrets(values: dict[str, object], raw: Mapping[str, str]) -> None:
    required = {
        "SHOPIFY_API_KEY": values.get("SHOPIFY_API_KEY"),
        "SHOPIFY_API_SECRET": values.get("SHOPIFY_API_SECRET"),
        "SECRET_KEY": values.get("SECRET_KEY"),
        "DATABASE_URL": raw.get("DATABASE_URL"),
        "RINGBACK_ENCRYPTION_KEYS": values.get("RINGBACK_ENCRYPTION_KEYS"),
        # Derived from an encryption key, the lookup key would change when that key is retired,
        # and the do-not-contact list would silently stop matching: production names its own.
        "RINGBACK_LOOKUP_KEY": values.get("RINGBACK_LOOKUP_KEY"),
        "APP_URL": raw.get("APP_URL") or raw.get("HOST"),
    }
    missing = sorted(name for name, value in required.items() if not value)
    if missing:
        raise ConfigError("production refuses to start without: " + ", ".join(missing))
    if not str(values["APP_URL"]).startswith("https://"):
        raise ConfigError("APP_URL must be an https origin in production")


def _fill_local_secrets(values: dict[str, object], instance: Path) -> None:
    """Outside production, generate missing secrets once and keep them under instance/."""
    if not values["RINGBACK_ENCRYPTION_KEYS"]:
        values["RINGBACK_ENCRYPTION_KEYS"] = (
            _instance_secret(instance, "encryption.key", lambda: Fernet.generate_key().decode()),
        )
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = _instance_secret(instance, "secret.key", lambda: secrets.token_hex(32))
    if values["SANDBOX"]:
        values["SHOPIFY_API_KEY"] = SANDBOX_API_KEY
        values["SHOPIFY_API_SECRET"] = _instance_secret(
            instance, "sandbox-shopify.secret", lambda: secrets.token_hex(32)
        )


def _instance_secret(instance: Path, name: str, make) -> str:
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: when two processes start at once, the first writer wins and both read its value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _validate_keys(keys) -> None:
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError("RINGBACK_ENCRYPTION_KEYS holds a key that is not a Fernet key") from exc


def describe(settings: Settings) -> dict[str, object]:
    """Settings safe to print: secrets masked."""
    secret_names = ("SECRET", "KEY", "TOKEN", "KEYS")
    shown = {}
    for name, value in asdict(settings).items():
        if name == "extra":
            continue
        if any(part in name for part in secret_names) and name != "SHOPIFY_API_KEY":
            shown[name] = "***" if value else ""
        else:
            shown[name] = value
    return shown
