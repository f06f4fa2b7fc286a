"""Real parts for every integration test: a Mongo wire-protocol server and a RabbitMQ broker.

With a Docker engine, testcontainers runs real MongoDB (single-node replica set) and RabbitMQ.
Without one, Mongo is an nx-27017 child process and RabbitMQ is the broker at `AMQP_URL`
(default amqp://guest:guest@localhost:5672/). A missing broker fails the run, never skips it.
"""

import os
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from chassis.embedded import EmbeddedMongo


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


DOCKER = _docker_answers()


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("TEST_MONGO_URL"):
        yield url
    elif DOCKER:
        # Real MongoDB as a single-node replica set (transactions need one), no auth.
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy

        mongo = (DockerContainer("mongo:7").with_command("--replSet rs0 --bind_ip_all").with_exposed_ports(27017)
                 .waiting_for(LogMessageWaitStrategy("Waiting for connections")))
        with mongo:
            mongo.exec(["mongosh", "--quiet", "--eval", "rs.initiate(); while (!db.hello().isWritablePrimary) sleep(100)"])
            yield f"mongodb://{mongo.get_container_host_ip()}:{mongo.get_exposed_port(27017)}/?directConnection=true"
    else:
        embedded = EmbeddedMongo(tmp_path_factory.mktemp("nx-27017")).start()
        yield embedded.url
        embedded.stop()


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    if DOCKER and "AMQP_URL" not in os.environ:
        from testcontainers.community.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management") as rabbit:
            rabbit.exec(["rabbitmq-plugins", "enable", "rabbitmq_consistent_hash_exchange"])  # chassis.rabbit
            params = rabbit.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
        return
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "localhost", parsed.port or 5672), timeout=3).close()
    except OSError as e:
        pytest.fail(f"RabbitMQ is not reachable at {url} ({e}); `make test` starts it", pytrace=False)
    yield url


@pytest.fixture
def unique() -> str:
    """A fresh suffix so each test has its own databases and queues on the shared servers."""
    return uuid.uuid4().hex[:10]
