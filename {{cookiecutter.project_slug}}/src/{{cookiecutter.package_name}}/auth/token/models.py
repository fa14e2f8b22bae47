"""Users, their server-side refresh tokens, their personal access tokens, the codes mailed to
them, and the sign-ups and invitations that are not accounts yet."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import Base
from ...models import UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    # As written; email_key, its casefolded form, makes addresses unique whatever their case
    # (accounts.set_email keeps both). Unset on both for a user without one.
    email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    # Whether the address has been proven by a code sent to it: only then is a reset sent there.
    email_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    password_hash: Mapped[str] = mapped_column(String(255))
    # Space-separated, as in an OAuth 2 "scope" parameter.
    scopes: Mapped[str] = mapped_column(String(1000), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # As a resource's: of two writers that read the same version, only the first succeeds.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class RefreshToken(Base):
    """One issued refresh token. Every token of a login shares its family; a refresh rotates
    the presented token out, and presenting a rotated token again revokes the whole family
    (within REFRESH_GRACE_SECONDS, it answers the successor's pair again).

    A row holds claims, never a token: the pair it was issued with is signed again from them.
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(36), unique=True)
    family: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Also the iat of both tokens of the pair, so whole seconds.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The scope claim of the access token issued with it.
    scope: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The jti of the token its rotation issued; no foreign key, as purge deletes in any order.
    successor_jti: Mapped[str | None] = mapped_column(String(36))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The User-Agent of the login or refresh that issued it: how a user tells sessions apart.
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship()


class PersonalAccessToken(Base):
    """A token a user made for a machine: named, scoped, expiring, revocable. The row holds the
    SHA-256 of the token, never the token: it is shown once, when made (pats.py)."""

    __tablename__ = "personal_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Hex SHA-256 of the whole token: a lookup by it is a unique-index probe.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated; a subset of the owner's when made, and of the owner's now when used.
    scopes: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Written at most once a minute per token (pats.LAST_USED_EVERY), never on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def scope_list(self) -> list[str]:
        return sorted(self.scope_set)


class AccountCode(Base):
    """A one-time code sent by mail: to reset a forgotten password, or to verify an address.
    The row holds its SHA-256, never the code; a newer code of the same purpose replaces it, a
    password change voids the reset codes, and using one deletes it (recovery.py)."""

    __tablename__ = "account_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # recovery.RESET or recovery.VERIFY
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address a verification code proves (the user's may have changed since it was sent).
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Registration(Base):
    """A way in that waits for its mailed code: a sign-up (REGISTRATION=open), or an admin's
    invitation (invite). It is not an account: it holds no name or address back from anyone,
    and the account is made only when the code comes back (registration.py). The row keeps the
    code's SHA-256, set when the background mails it, never the code."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # registration.SIGN_UP or registration.INVITE
    email: Mapped[str] = mapped_column(String(254))
    # A sign-up's chosen name and password; an invitee chooses both when accepting.
    username: Mapped[str | None] = mapped_column(String(150))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # An invitation's scopes, space-separated: the account gets them.
    scopes: Mapped[str] = mapped_column(String(1000), default="")
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    @property
    def scope_list(self) -> list[str]:
        return sorted(self.scopes.split())
