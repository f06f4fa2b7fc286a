"""Who is calling: bearer JWTs with the claims `sub`, `name`, `roles`, `region`.

The gateway verifies the token and forwards it; every service verifies it again, so a request
that bypasses the gateway gets the same answer.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

from chassis.clock import Clock, SystemClock
from chassis.errors import Forbidden, Unauthenticated
from chassis.settings import Settings

# Tokens remembered once verified, until they expire: a caller's next request skips the signature check (a
# twentieth of the gateway's CPU per request). The oldest is forgotten first.
VERIFIED_KEPT = 4096


class Role(StrEnum):
    SALES = "SALES"
    REGION_ASSISTANT = "REGION_ASSISTANT"
    REGION_MANAGER = "REGION_MANAGER"
    SALES_MANAGER = "SALES_MANAGER"
    FINANCE = "FINANCE"
    GENERAL_MANAGER = "GENERAL_MANAGER"
    SERVICE = "SERVICE"
    ADMIN = "ADMIN"


@dataclass(frozen=True)
class Principal:
    user_id: str
    name: str
    roles: frozenset[Role]
    region: str | None = None
    expires_at: datetime | None = None  # the token's `exp`: a long-lived connection ends then

    @property
    def addresses(self) -> list[str]:
        """What a message meant for this person may be addressed to: them, their roles, their roles in their region
        ("REGION_MANAGER:east"), as CRD-3 alerts name recipients where the staff directory names nobody."""
        roles = sorted(self.roles)
        return [self.user_id, *roles, *(f"{role}:{self.region}" for role in roles if self.region)]

    def has_any(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def require(self, *roles: Role) -> None:
        if not self.has_any(*roles):
            allowed = ", ".join(sorted(roles))
            raise Forbidden(f"this needs one of the roles {allowed}", allowed=sorted(roles))


def mint_token(
    secret: str,
    user_id: str,
    roles: list[str],
    *,
    now: datetime,
    name: str | None = None,
    region: str | None = None,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """An HS256 token for development and tests (`crm token`)."""
    unknown = set(roles) - set(Role)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; known: {', '.join(Role)}")
    claims = {
        "sub": user_id,
        "name": name or user_id,
        "roles": list(roles),
        "region": region,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def principal_of(claims: dict[str, object]) -> Principal:
    """The caller a token's claims describe, if they have the types they must: `sub` a string, `roles` a list
    of known role names, `name` and `region` strings (or absent); anything else is UNAUTHENTICATED."""
    sub, name, roles, region = claims.get("sub"), claims.get("name"), claims.get("roles", []), claims.get("region")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > 200:
        raise Unauthenticated("invalid token: `sub` must be a non-empty string")
    if not isinstance(roles, list) or not all(isinstance(r, str) and r in Role.__members__ for r in roles):
        raise Unauthenticated(f"invalid token: `roles` must be a list of {', '.join(Role)}")
    for claim, value in (("name", name), ("region", region)):
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            raise Unauthenticated(f"invalid token: `{claim}` must be a string")
    exp = claims.get("exp")
    expires_at = datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None
    return Principal(sub, name or sub, frozenset(Role(r) for r in roles), region,  # type: ignore[arg-type]
                     expires_at)


class TokenVerifier:
    """HS256 with the shared secret, or RS256 through a JWKS URL when one is configured."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self._secret = settings.jwt_secret
        self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        self._clock = clock or SystemClock()
        self._verified: dict[str, Principal] = {}

    def verify(self, token: str) -> Principal:
        if (known := self._verified.get(token)) is not None:
            assert known.expires_at is not None  # `exp` is required
            if self._clock.now() < known.expires_at:
                return known
            del self._verified[token]
            raise Unauthenticated("invalid token: Signature has expired")
        principal = self._decode(token)
        if len(self._verified) >= VERIFIED_KEPT:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = principal
        return principal

    def _decode(self, token: str) -> Principal:
        try:
            if self._jwks:
                key = self._jwks.get_signing_key_from_jwt(token).key
                claims = jwt.decode(token, key, algorithms=["RS256"], options={"require": ["sub", "exp"]})
            else:
                claims = jwt.decode(token, self._secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
        except jwt.PyJWTError as e:
            raise Unauthenticated(f"invalid token: {e}") from e
        return principal_of(claims)

    def from_header(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("no bearer token: send 'Authorization: Bearer <token>'")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        return self.verify(token.strip())
