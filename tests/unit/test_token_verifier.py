"""A token is checked once, then remembered until it expires, and not a moment longer."""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.auth import TokenVerifier, mint_token
from chassis.clock import FixedClock
from chassis.errors import Unauthenticated
from chassis.settings import Settings

SETTINGS = Settings()


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    issued = datetime.now(UTC)
    clock = FixedClock(issued)
    verifier = TokenVerifier(SETTINGS, clock)
    token = mint_token(SETTINGS.jwt_secret, "u1", ["SALES"], now=issued, ttl=timedelta(hours=1))
    assert verifier.verify(token).user_id == "u1"
    clock.advance(timedelta(minutes=59))
    assert verifier.verify(token).user_id == "u1"
    clock.advance(timedelta(minutes=1))
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(token)


def test_a_token_refused_once_is_refused_again() -> None:
    verifier = TokenVerifier(SETTINGS)
    forged = mint_token("someone-elses-secret-at-least-32-bytes", "u1", ["ADMIN"], now=datetime.now(UTC))
    for _ in range(2):
        with pytest.raises(Unauthenticated, match="invalid token"):
            verifier.verify(forged)
