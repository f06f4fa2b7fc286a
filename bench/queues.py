"""What the benches share: a broker of their own (a private vhost), or removing what a service under test
declared on a shared one."""

import asyncio
import contextlib
import os
import shutil
import subprocess
from urllib.parse import urlsplit

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


def private_vhost(amqp_url: str, name: str) -> str | None:
    """A vhost `name` of our own on the local broker, so that nobody else's events are measured with ours; its
    AMQP URL, or None (said why) when rabbitmqctl cannot add one there or BENCH_VHOST=0."""
    ctl = shutil.which("rabbitmqctl")
    host = urlsplit(amqp_url).hostname
    if os.environ.get("BENCH_VHOST", "1") == "0" or ctl is None or host not in ("localhost", "127.0.0.1"):
        print("  (shared vhost: events other publishers put on crm.events are processed and measured too)")
        return None
    try:
        for args in (["add_vhost", name], ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]):
            subprocess.run([ctl, *args], check=True, capture_output=True, timeout=30)
    except (subprocess.SubprocessError, OSError) as error:
        print(f"  (shared vhost: rabbitmqctl could not add one: {error!r})")
        return None
    print(f"  private vhost {name} (removed at the end)")
    return urlsplit(amqp_url)._replace(path=f"/{name}").geturl()


def delete_vhost(name: str) -> str | None:
    """The vhost and every queue in it; the problem, if any."""
    try:
        subprocess.run(["rabbitmqctl", "delete_vhost", name], check=True, capture_output=True, timeout=30)
    except (subprocess.SubprocessError, OSError) as error:
        return f"could not delete vhost {name}: {error!r}"
    return None
