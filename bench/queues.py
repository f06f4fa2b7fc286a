"""What the benches share: removing the queues a service under test declared on a shared broker."""

import asyncio
import contextlib

import aio_pika

RETRY_DELAYS_MS = (500, 2_000, 10_000, 30_000, 60_000)  # the services' default RETRY_DELAYS_S


async def delete_service_queues(amqp_url: str, base: str) -> list[str]:
    """Deletes `base`, its dead-letter and retry queues; returns the problems worth reporting."""
    problems: list[str] = []
    names = [base, f"{base}.dead", *(f"{base}.retry.{ms}ms" for ms in RETRY_DELAYS_MS)]
    try:
        connection = await asyncio.wait_for(aio_pika.connect(amqp_url), 10)
        async with connection:
            for name in names:
                channel = await connection.channel()  # a failed delete closes its channel
                try:
                    await channel.queue_delete(name)
                except Exception as error:  # noqa: BLE001 - retry queues that never existed are fine
                    if name in (base, f"{base}.dead"):
                        problems.append(f"could not delete queue {name}: {error!r}")
                finally:
                    with contextlib.suppress(Exception):
                        await channel.close()
    except Exception as error:  # noqa: BLE001
        problems.append(f"queue cleanup failed: {error!r}")
    return problems
