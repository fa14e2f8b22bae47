"""The token backend's settings, and how they become flask-jwt-extended's."""

import hashlib
from datetime import timedelta

from argon2 import DEFAULT_PARALLELISM
from flask import Config
from limits import parse_many
from marshmallow import ValidationError
from marshmallow.validate import OneOf, Range, Regexp

from ...config import NON_NEGATIVE, POSITIVE, RELAXED_ENVIRONMENTS, Setting, Settings
from .passwords import check_classes

# HS256 signs with a SHA-256 HMAC: a shorter key is weaker than the hash (PyJWT warns).
MIN_KEY_BYTES = 32
# The issuer and audience are checked in every token: no useful empty form.
NOT_BLANK = Regexp(r"\s*\S", error="must not be empty")


def rate_limit(value: str) -> None:
    """Check a rate string of the limits library, e.g. "5 per minute" or "5/minute;50/day"."""
    try:
        parse_many(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


# Read from the environment like the core settings (see .env.example).
TOKEN_SETTINGS: Settings = {
    "JWT_SECRET_KEY": Setting("str", ""),
    "JWT_ACCESS_TOKEN_MINUTES": Setting("int", 15, POSITIVE),
    "JWT_REFRESH_TOKEN_DAYS": Setting("int", 14, POSITIVE),
    "JWT_ISSUER": Setting("str", "{{ cookiecutter.project_slug }}", NOT_BLANK),
    "JWT_AUDIENCE": Setting("str", "{{ cookiecutter.project_slug }}", NOT_BLANK),
    # Seconds a worker remembers an access token it checked; 0 checks the database every time.
    "TOKEN_CACHE_TTL_SECONDS": Setting("int", 5, NON_NEGATIVE),
    # Seconds a rotated refresh token still gets the pair its rotation issued; 0 revokes at once.
    "REFRESH_GRACE_SECONDS": Setting("int", 10, NON_NEGATIVE),
    # The longest lifetime a personal access token may be given, in days.
    "PAT_MAX_DAYS": Setting("int", 90, POSITIVE),
    # How long a mailed password reset code, and an address verification code, can be used.
    "PASSWORD_RESET_MINUTES": Setting("int", 30, POSITIVE),
    "EMAIL_VERIFY_HOURS": Setting("int", 48, POSITIVE),
    # The front end's page for a reset, "{code}" standing for the code; empty: the code alone.
    "PASSWORD_RESET_URL": Setting("str", ""),
    # Reset requests allowed per username or address, and per client address.
    "PASSWORD_RESET_RATE_LIMIT": Setting("str", "5 per hour", rate_limit),
    # Who may make an account besides admins: nobody else (closed), anyone who proves an
    # address by mail (open), or whoever an admin invites by mail (invite).
    "REGISTRATION": Setting("str", "closed", OneOf(["closed", "open", "invite"])),
    # Sign-ups allowed per address signed up with, and per client address.
    "SIGN_UP_RATE_LIMIT": Setting("str", "5 per hour", rate_limit),
    "INVITATION_DAYS": Setting("int", 7, POSITIVE),
    "PASSWORD_MIN_LENGTH": Setting("int", 12, POSITIVE),
    "PASSWORD_REQUIRED_CLASSES": Setting("str", "lower,upper,digit", check_classes),
    "LOGIN_RATE_LIMIT": Setting("str", "5 per minute", rate_limit),
    # Empty: REDIS_URL where the project has one (tasks=celery), else memory:// (per process).
    "RATELIMIT_STORAGE_URI": Setting("str", ""),
    "RATELIMIT_KEY_PREFIX": Setting("str", ""),
    # argon2id cost: RFC 9106's second recommendation (argon2-cffi's default). Argon2 needs
    # 8 KiB of memory for each of its lanes.
    "ARGON2_TIME_COST": Setting("int", 3, POSITIVE),
    "ARGON2_MEMORY_COST": Setting("int", 64 * 1024, Range(min=8 * DEFAULT_PARALLELISM)),
}


def signing_key(config: Config) -> str:
    """JWT_SECRET_KEY, else SECRET_KEY; outside development and testing it must be long."""
    key: str = config["JWT_SECRET_KEY"] or config["SECRET_KEY"]
    if len(key.encode()) >= MIN_KEY_BYTES and not key.startswith("change-me"):
        return key
    if config["APP_ENV"] in RELAXED_ENVIRONMENTS:
        # Development and test secrets are short throwaways; stretch them to the HMAC's size.
        return hashlib.sha256(key.encode()).hexdigest()
    raise RuntimeError(
        f"JWT_SECRET_KEY (or SECRET_KEY) must be at least {MIN_KEY_BYTES} bytes and not a "
        "placeholder; generate one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    )


def configure_jwt(config: Config) -> None:
    """Turn the settings into flask-jwt-extended's; lifetimes given as timedelta to create_app
    (JWT_ACCESS_TOKEN_EXPIRES, JWT_REFRESH_TOKEN_EXPIRES) win, e.g. in tests.
    """
    config["JWT_SECRET_KEY"] = signing_key(config)
    config.setdefault(
        "JWT_ACCESS_TOKEN_EXPIRES", timedelta(minutes=config["JWT_ACCESS_TOKEN_MINUTES"])
    )
    config.setdefault("JWT_REFRESH_TOKEN_EXPIRES", timedelta(days=config["JWT_REFRESH_TOKEN_DAYS"]))
    config.update(
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_TOKEN_LOCATION=["headers"],
        JWT_COOKIE_CSRF_PROTECT=False,  # tokens travel in headers only, never in cookies
        JWT_ENCODE_ISSUER=config["JWT_ISSUER"],
        JWT_DECODE_ISSUER=config["JWT_ISSUER"],
        JWT_ENCODE_AUDIENCE=config["JWT_AUDIENCE"],
        JWT_DECODE_AUDIENCE=config["JWT_AUDIENCE"],
        JWT_ENCODE_NBF=True,
    )
