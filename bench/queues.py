"""What the benches share: removing what a service under test declared on a shared broker."""

import asyncio
import contextlib

import aio_pika

from chassis.bus import entrance_name
from chassis.rabbit import service_queues
from chassis.settings import Settings


async def delete_service_queues(amqp_url: str, service: str) -> list[str]:
    """Deletes the queues and the entrance of `service` (`<name>.<instance>`, default settings); returns the
    problems worth reporting."""
    defaults = Settings()
    names = service_queues(service, defaults.partitions, defaults.retry_delays_s)
    problems: list[str] = []
    try:
        connection = await asyncio.wait_for(aio_pika.connect(amqp_url), 10)
        async with connection:
            for name in [*names, None]:
                channel = await connection.channel()  # a failed delete closes its channel
                try:
                    if name is None:
                        await channel.exchange_delete(entrance_name(service))
                    else:
                        await channel.queue_delete(name)
                except Exception as error:  # noqa: BLE001 - retry queues that never existed are fine
                    if name is not None and ".retry." not in name:
                        problems.append(f"could not delete queue {name}: {error!r}")
                finally:
                    with contextlib.suppress(Exception):
                        await channel.close()
    except Exception as error:  # noqa: BLE001
        problems.append(f"queue cleanup failed: {error!r}")
    return problems
