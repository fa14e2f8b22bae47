"""The caller of an account route, as a user: who acts, and whether they logged in."""

from werkzeug.exceptions import Forbidden, NotFound

from .. import current_identity
from .accounts import find_user
from .models import User


def caller(login: bool = False) -> User:
    """The user whose token this request carries; 404 if deleted since the token was checked.
    With login, only a login will do: a personal access token, made for a machine, cannot make
    more tokens, change the password or address, or end sessions (403)."""
    identity = current_identity()
    if login and identity.session is None:
        raise Forbidden("A personal access token cannot do this: log in with your password.")
    user = find_user(identity.subject)
    if user is None:
        raise NotFound("Your account no longer exists.")
    return user
