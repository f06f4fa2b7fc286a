"""Fixtures of the gateway tests; the federation they build lives in crm_federation.py."""

from collections.abc import AsyncIterator

import pytest
from crm_federation import Federation, a_federation


@pytest.fixture
async def federation() -> AsyncIterator[Federation]:
    async with a_federation() as f:
        yield f
