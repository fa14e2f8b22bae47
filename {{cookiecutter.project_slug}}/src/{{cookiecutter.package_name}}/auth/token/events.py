"""Security events: one log line each, on the `<package>.security` logger, for an audit trail.

With LOG_FORMAT=json a line carries `event`, `actor_id` (who acted: null for the server's own
CLI or an anonymous caller) and `user_id` (whose account), beside the request and trace ids
that every line of a request gets. Ids only: never a password, a token, a hash or an address.
"""

import logging

from .models import User

security_log = logging.getLogger(__name__.split(".")[0] + ".security")

LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"
PASSWORD_CHANGED = "password.changed"
PASSWORD_RESET_SENT = "password.reset_sent"
PASSWORD_RESET = "password.reset"
EMAIL_VERIFIED = "email.verified"
PAT_CREATED = "pat.created"
PAT_REVOKED = "pat.revoked"
SESSIONS_REVOKED = "sessions.revoked"
USER_CREATED = "user.created"
USER_SIGNED_UP = "user.signed_up"
USER_INVITED = "user.invited"
INVITATION_ACCEPTED = "user.invitation_accepted"
INVITATION_WITHDRAWN = "user.invitation_withdrawn"
USER_CHANGED = "user.changed"
USER_DISABLED = "user.disabled"
USER_ENABLED = "user.enabled"
USER_DELETED = "user.deleted"


def record(event: str, user: User | int | None, actor: User | None = None) -> None:
    """Log that `event` happened to `user`'s account (or its id), done by `actor`."""
    user_id = user.id if isinstance(user, User) else user
    actor_id = None if actor is None else actor.id
    security_log.info(
        "%s user_id=%s actor_id=%s",
        event,
        user_id,
        actor_id,
        extra={"event": event, "user_id": user_id, "actor_id": actor_id},
    )
