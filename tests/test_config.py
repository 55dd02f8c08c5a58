import pytest
from cryptography.fernet import Fernet

from app import config
from app.config import ConfigError

PROD = {
    "APP_ENV": "production",
    "SHOPIFY_API_KEY": "k",
    "SHOPIFY_API_SECRET": "s",
    "SECRET_KEY": "x" * 32,
    "DATABASE_URL": "postgresql+psycopg://db/ringback",
    "RINGBACK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "RINGBACK_LOOKUP_KEY": "a-lookup-key-of-its-own",
    "APP_URL": "https://ringback.example",
}


@pytest.mark.parametrize("missing", sorted(set(PROD) - {"APP_ENV"}))
def test_production_refuses_to_start_without_each_secret(missing, tmp_path):
    env = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        config.load({"INSTANCE_PATH": str(tmp_path)}, environ=env)


def test_production_never_enables_sandbox(tmp_path):
    settings = config.load({"INSTANCE_PATH": str(tmp_path)}, environ=PROD)
    assert settings.SANDBOX is False
    assert not (tmp_path / "encryption.key").exists()


@pytest.mark.promise("encryption-in-transit")
def test_production_requires_https_app_url(tmp_path):
    with pytest.raises(ConfigError, match="https"):
        config.load({"INSTANCE_PATH": str(tmp_path)}, environ={**PROD, "APP_URL": "http://x"})


def test_no_shopify_key_outside_production_is_sandbox_with_generated_secrets(tmp_path):
    first = config.load({"INSTANCE_PATH": str(tmp_path)}, environ={})
    second = config.load({"INSTANCE_PATH": str(tmp_path)}, environ={})
    assert first.SANDBOX and first.SHOPIFY_API_SECRET
    assert first.RINGBACK_ENCRYPTION_KEYS == second.RINGBACK_ENCRYPTION_KEYS
    assert first.SHOPIFY_API_SECRET == second.SHOPIFY_API_SECRET
    assert first.DATABASE_URL.startswith("sqlite:///")
    assert first.APP_URL == "http://127.0.0.1:8000"


def test_app_url_falls_back_to_host_then_port(tmp_path):
    assert config.load({"INSTANCE_PATH": str(tmp_path)}, environ={"HOST": "https://h.example/"}).APP_URL \
        == "https://h.example"
    assert config.load({"INSTANCE_PATH": str(tmp_path)}, environ={"PORT": "9100"}).APP_URL \
        == "http://127.0.0.1:9100"


def test_invalid_encryption_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="Fernet"):
        config.load({"INSTANCE_PATH": str(tmp_path)}, environ={"RINGBACK_ENCRYPTION_KEYS": "nope"})


def test_unknown_app_env_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        config.load({"INSTANCE_PATH": str(tmp_path)}, environ={"APP_ENV": "staging"})


def test_describe_masks_secrets(tmp_path):
    shown = config.describe(config.load({"INSTANCE_PATH": str(tmp_path)}, environ=PROD))
    assert shown["SHOPIFY_API_SECRET"] == "***"
    assert shown["SHOPIFY_API_KEY"] == "k"


def test_the_openai_agent_needs_a_model(tmp_path):
    with pytest.raises(ConfigError, match="RINGBACK_LLM_MODEL"):
        config.load({"INSTANCE_PATH": str(tmp_path)}, environ={"RINGBACK_AGENT": "openai"})
    settings = config.load({"INSTANCE_PATH": str(tmp_path)},
                           environ={"RINGBACK_AGENT": "openai", "RINGBACK_LLM_MODEL": "gpt-x"})
    assert settings.RINGBACK_AGENT == "openai"


@pytest.mark.parametrize("name", ["TWILIO_CALLS_PER_SECOND", "TWILIO_HTTP_TIMEOUT_SECONDS",
                                  "RINGBACK_LLM_TIMEOUT_SECONDS"])
@pytest.mark.parametrize("value", ["0", "-1", "fast", "nan", "inf"])
def test_twilio_and_llm_rates_must_be_positive_numbers(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        config.load({"INSTANCE_PATH": str(tmp_path)}, environ={name: value})


def test_calls_per_second_defaults_to_twilios_account_limit(tmp_path):
    assert config.load({"INSTANCE_PATH": str(tmp_path)}, environ={}).TWILIO_CALLS_PER_SECOND == 1.0
    assert config.load({"INSTANCE_PATH": str(tmp_path)},
                       environ={"TWILIO_CALLS_PER_SECOND": "5"}).TWILIO_CALLS_PER_SECOND == 5.0
