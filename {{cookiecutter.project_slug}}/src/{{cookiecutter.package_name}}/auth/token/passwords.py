"""Password hashing (argon2id) and the rules a new password must follow."""

import secrets
import string
from collections.abc import Callable
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from marshmallow import ValidationError

# Each class a password may be required to contain: how to spot it, and how to name it.
CHARACTER_CLASSES: dict[str, tuple[Callable[[str], bool], str]] = {
    "lower": (str.islower, "a lower-case letter"),
    "upper": (str.isupper, "an upper-case letter"),
    "digit": (str.isdigit, "a digit"),
    "symbol": (lambda char: not char.isalnum(), "a symbol"),
}


def class_names(value: str) -> list[str]:
    """The names in PASSWORD_REQUIRED_CLASSES, a comma-separated subset of CHARACTER_CLASSES."""
    return [name.strip().lower() for name in value.split(",") if name.strip()]


def check_classes(value: str) -> None:
    """Refuse a PASSWORD_REQUIRED_CLASSES that names an unknown class."""
    if unknown := sorted(set(class_names(value)) - CHARACTER_CLASSES.keys()):
        choices = ", ".join(CHARACTER_CLASSES)
        raise ValidationError(f"unknown {', '.join(unknown)}; choose from {choices}")


def password_problem(password: str, min_length: int, required_classes: str) -> str | None:
    """Say what is wrong with a new password, or return None when it follows the rules."""
    if len(password) < min_length:
        return f"The password must be at least {min_length} characters long."
    missing = []
    for name in class_names(required_classes):
        spot, label = CHARACTER_CLASSES[name]
        if not any(spot(char) for char in password):
            missing.append(label)
    if not missing:
        return None
    listed = ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
    return f"The password must contain {listed}."


def check_new_password(password: str) -> str | None:
    """password_problem() with the app's rules."""
    config = current_app.config
    return password_problem(
        password, config["PASSWORD_MIN_LENGTH"], config["PASSWORD_REQUIRED_CLASSES"]
    )


def generate_password() -> str:
    """Return a random password that follows the app's rules."""
    length = max(20, current_app.config["PASSWORD_MIN_LENGTH"])
    alphabet = string.ascii_letters + string.digits + "-_.!@#%+="
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if check_new_password(password) is None:
            return password


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"]
    )


@lru_cache
def _dummy_hash(time_cost: int, memory_cost: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost).hash(
        secrets.token_urlsafe()
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password against its hash. Without a hash (no such user) a dummy hash is
    checked instead, so an unknown username takes as long to refuse as a wrong password.
    """
    hasher = _hasher()
    if password_hash is None:
        password_hash = _dummy_hash(hasher.time_cost, hasher.memory_cost)
        _check(hasher, password_hash, password)
        return False
    return _check(hasher, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the app's current ones."""
    return _hasher().check_needs_rehash(password_hash)


def _check(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
