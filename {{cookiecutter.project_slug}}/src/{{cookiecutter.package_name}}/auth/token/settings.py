"""The token backend's settings, and how they become flask-jwt-extended's."""

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from argon2 import DEFAULT_PARALLELISM
from flask import Config
from limits import parse_many

from ...config import RELAXED_ENVIRONMENTS, non_negative_int, positive_int
from .passwords import parse_classes

# HS256 signs with a SHA-256 HMAC: a shorter key is weaker than the hash (PyJWT warns).
MIN_KEY_BYTES = 32


def argon2_memory(value: str) -> int:
    """Read ARGON2_MEMORY_COST in KiB: argon2 needs 8 KiB for each of its lanes."""
    kib = int(value)
    if kib < 8 * DEFAULT_PARALLELISM:
        raise ValueError(f"must be at least {8 * DEFAULT_PARALLELISM} KiB, not {kib}")
    return kib


def not_empty(value: str) -> str:
    """Read a value that has no useful empty form, such as the issuer checked in every token."""
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def rate_limit(value: str) -> str:
    """Check a Flask-Limiter rate string, e.g. "5 per minute" or "5/minute;50/day"."""
    parse_many(value)
    return value


# Read from the environment like the core settings (see .env.example).
SETTINGS: dict[str, tuple[Callable[[str], Any], Any]] = {
    "JWT_SECRET_KEY": (str, ""),
    "JWT_ACCESS_TOKEN_MINUTES": (positive_int, 15),
    "JWT_REFRESH_TOKEN_DAYS": (positive_int, 14),
    "JWT_ISSUER": (not_empty, "{{ cookiecutter.project_slug }}"),
    "JWT_AUDIENCE": (not_empty, "{{ cookiecutter.project_slug }}"),
    # Seconds a worker remembers an access token it checked; 0 checks the database every time.
    "TOKEN_CACHE_TTL_SECONDS": (non_negative_int, 5),
    # Seconds a rotated refresh token still gets the pair its rotation issued; 0 revokes at once.
    "REFRESH_GRACE_SECONDS": (non_negative_int, 10),
    "PASSWORD_MIN_LENGTH": (positive_int, 12),
    "PASSWORD_REQUIRED_CLASSES": (parse_classes, "lower,upper,digit"),
    "LOGIN_RATE_LIMIT": (rate_limit, "5 per minute"),
    # Empty: REDIS_URL where the project has one (tasks=celery), else memory:// (per process).
    "RATELIMIT_STORAGE_URI": (str, ""),
    "RATELIMIT_KEY_PREFIX": (str, ""),
    # argon2id cost: RFC 9106's second recommendation (argon2-cffi's default).
    "ARGON2_TIME_COST": (positive_int, 3),
    "ARGON2_MEMORY_COST": (argon2_memory, 64 * 1024),
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
