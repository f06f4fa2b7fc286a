"""Every service process `crm` can start, by name: the one list to extend when a service lands."""

import importlib
from collections.abc import Callable

from fastapi import FastAPI

SERVICES = {
    "customer": "services.customer.app",
    "complaints": "services.complaints.app",
    "credit": "services.credit.app",
    "ownership": "services.ownership.app",
    "notifications": "services.notifications.app",
}


def app_factory(name: str) -> Callable[..., FastAPI]:
    """`create_app(settings, *, clock=None, bus=None)` of the named service."""
    return importlib.import_module(SERVICES[name]).create_app
