"""`crm dlq`: a dead letter listed, shown, replayed — one that still fails comes back with the same id, one
whose cause was fixed is applied once — and purged. The command as ops run it, against the real broker."""

import asyncio
import os
import sys

from crm import dlq
from tests.credit.conftest import CreditHarness, payment, registered
from tests.credit.test_hot_customers import publish_to_service
from tests.support import eventually


async def crm(credit: CreditHarness, *args: str) -> str:
    env = {**os.environ, "AMQP_URL": credit.amqp_url, "CRM_INSTANCE": credit.instance, "LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "crm.cli", *args, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def waiting(credit: CreditHarness) -> dict[str, dlq.DeadLetter]:
    async with dlq.dead_letters(credit.amqp_url, f"credit.{credit.instance}") as reading:
        return {letter.id: letter for letter in reading.letters}


async def test_dead_letters_are_listed_replayed_and_purged_by_crm_dlq(credit: CreditHarness) -> None:
    customer = f"cust-{credit.instance}"
    invalid = payment(customer, "PAY-negative", -5)
    early = payment(customer, "PAY-early", 30_000)  # the customer is not registered yet: retried, then dead
    await publish_to_service(credit.amqp_url, f"credit.{credit.instance}", [invalid, early])
    letters = await eventually(lambda: _both(waiting(credit), invalid["id"], early["id"]), timeout_s=30)
    assert "amountFen" in letters[invalid["id"]].reason and "NotFound" in letters[early["id"]].reason

    listed = await crm(credit, "dlq", "list", "credit")
    assert invalid["id"] in listed and early["id"] in listed and "2 of 2 dead letters" in listed
    assert '"amountFen": -5' in await crm(credit, "dlq", "show", "credit", "--id", invalid["id"])

    # Nothing fixed: the invalid one is refused again and comes back under its own id.
    assert invalid["id"] in await crm(credit, "dlq", "replay", "credit", "--id", invalid["id"])
    again = await eventually(lambda: _both(waiting(credit), invalid["id"], early["id"]), timeout_s=30)
    assert "amountFen" in again[invalid["id"]].reason

    # The cause fixed (the customer is registered now): the replay applies it, once.
    await credit.deliver(registered(customer))
    await crm(credit, "dlq", "replay", "credit", "--reason", "NotFound")
    profile = await eventually(lambda: _paid(credit, customer), timeout_s=30)
    assert profile["creditBalanceFen"] == 30_000
    assert set(await waiting(credit)) == {invalid["id"]}

    assert "dropped 1" in await crm(credit, "dlq", "purge", "credit", "--type", "payment.received", "--yes")
    assert await waiting(credit) == {}


async def _both(found: object, *ids: str) -> dict[str, dlq.DeadLetter] | None:
    letters = await found  # type: ignore[misc]
    return letters if set(ids) <= set(letters) else None


async def _paid(credit: CreditHarness, customer: str) -> dict | None:
    profile = await credit.profile(customer)
    return profile if profile["creditBalanceFen"] else None
