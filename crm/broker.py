"""The broker topology every service expects, as RabbitMQ definitions: declared before any service
publishes, so no event is routed to nowhere while a consumer's queue does not exist yet (a first
deployment, a newly added subscription)."""

import importlib
import json
from pathlib import Path
from typing import Any

from chassis.bus import EXCHANGE, dead_letter_queue_name, queue_name
from crm.services import SERVICES

DEFINITIONS = Path(__file__).resolve().parents[1] / "deploy" / "rabbitmq" / "definitions.json"
QUORUM = {"x-queue-type": "quorum"}  # as chassis.rabbit declares them: a mismatch would refuse to start


def subscriptions(service: str) -> list[str]:
    handlers = importlib.import_module(f"services.{service}.handlers").SUBSCRIPTIONS
    return sorted(event.type for event in handlers)


def topology() -> dict[str, list[dict[str, Any]]]:
    queues, bindings = [], []
    for service in SERVICES:
        for name in (queue_name(service), dead_letter_queue_name(service)):
            queues.append({"name": name, "vhost": "/", "durable": True, "auto_delete": False, "arguments": QUORUM})
        bindings += [{"source": EXCHANGE, "vhost": "/", "destination": queue_name(service),
                      "destination_type": "queue", "routing_key": event_type, "arguments": {}}
                     for event_type in subscriptions(service)]
    return {"queues": queues, "bindings": bindings}


def write_definitions(path: Path = DEFINITIONS) -> Path:
    definitions = json.loads(path.read_text())
    definitions.update(topology())
    path.write_text(json.dumps(definitions, indent=2, ensure_ascii=False) + "\n")
    return path
