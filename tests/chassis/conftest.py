from collections.abc import AsyncIterator

import pytest

from chassis.store import Database, connect


@pytest.fixture
async def database(mongo_url: str, unique: str) -> AsyncIterator[Database]:
    """A database of its own on the real wire protocol, dropped afterwards."""
    client = connect(mongo_url)
    database = Database(client, f"crm_chassis_{unique}")
    yield database
    await client.drop_database(database.db.name)
    await client.close()
