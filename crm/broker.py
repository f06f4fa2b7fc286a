"""The broker topology every service expects, as RabbitMQ definitions: declared before any service
publishes, so no event is routed to nowhere while a consumer's queue does not exist yet (a first
deployment, a newly added subscription)."""

import importlib
import json
from pathlib import Path
from typing import Any

from chassis.bus import EXCHANGE, SUBJECT_HEADER, dead_letter_queue_name, entrance_name, partition_queue_name
from chassis.rabbit import PARTITION, PARTITION_WEIGHT, QUORUM
from chassis.settings import Settings
from crm.services import SERVICES

DEFINITIONS = Path(__file__).resolve().parents[1] / "deploy" / "rabbitmq" / "definitions.json"
PARTITIONS: int = Settings.model_fields["partitions"].default  # a deployment with another PARTITIONS edits these


def subscriptions(service: str) -> list[str]:
    handlers = importlib.import_module(f"services.{service}.handlers").SUBSCRIPTIONS
    return sorted(event.type for event in handlers)


def topology() -> dict[str, list[dict[str, Any]]]:
    """As chassis.rabbit declares them (a mismatch of arguments would keep a service from starting)."""
    exchanges: list[dict[str, Any]] = [{"name": EXCHANGE, "vhost": "/", "type": "topic", "durable": True,
                                        "auto_delete": False, "internal": False, "arguments": {}}]
    queues: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []
    for service in SERVICES:
        entrance = entrance_name(service)
        exchanges.append({"name": entrance, "vhost": "/", "type": "x-consistent-hash", "durable": True,
                          "auto_delete": False, "internal": False, "arguments": {"hash-header": SUBJECT_HEADER}})
        partitions = [partition_queue_name(service, i) for i in range(PARTITIONS)]
        queues += [_queue(name, PARTITION) for name in partitions] + [_queue(dead_letter_queue_name(service), QUORUM)]
        bindings += [_binding(entrance, name, PARTITION_WEIGHT, "queue") for name in partitions]
        bindings += [_binding(EXCHANGE, entrance, event_type, "exchange") for event_type in subscriptions(service)]
    return {"exchanges": exchanges, "queues": queues, "bindings": bindings}


def _queue(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "vhost": "/", "durable": True, "auto_delete": False, "arguments": arguments}


def _binding(source: str, destination: str, routing_key: str, kind: str) -> dict[str, Any]:
    return {"source": source, "vhost": "/", "destination": destination, "destination_type": kind,
            "routing_key": routing_key, "arguments": {}}


def write_definitions(path: Path = DEFINITIONS) -> Path:
    definitions = json.loads(path.read_text())
    definitions.update(topology())
    path.write_text(json.dumps(definitions, indent=2, ensure_ascii=False) + "\n")
    return path
