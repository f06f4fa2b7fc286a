"""Finance events over HTTP: the CloudEvents HTTP binding beside AMQP, for ERP and finance systems that send
webhooks (`POST /events`).

Structured mode (`application/cloudevents+json`, one event) and batched mode (`application/cloudevents-batch+json`,
a JSON array). The sender names itself (`X-Source`, the CloudEvents `source` of its events) and proves it with its
token (`Authorization: Bearer …`) and/or an HMAC-SHA256 of the body (`X-Signature: sha256=<hex>`), as configured
per source (`CREDIT_INTAKE_SOURCES`). Each event is validated against `contracts/` exactly as the AMQP path does,
then, in one transaction, recorded (idempotent on its id) and put in the outbox, which publishes it to
`crm.events` unchanged: so an accepted request is never lost, and every consumer (credit itself, customer,
ownership) applies it as if ERP had published it there. Only then is the answer sent, per event: accepted,
duplicate or invalid (with the field).
"""

import hashlib
import hmac
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

import contracts
from chassis.clock import business_date
from chassis.errors import Conflict
from chassis.ratelimit import RateLimiter
from chassis.store import UnitOfWork
from chassis.transport import read_json
from contracts.envelope import Envelope, envelope_of
from services.credit.reconciliation import day_of
from services.credit.settings import CreditSettings, IntakeSource
from services.credit.store import CreditStore

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
INBOUND = {event.type: event for event in contracts.INBOUND}

Uow = UnitOfWork[CreditStore, CreditSettings]


def authenticated(source: IntakeSource | None, headers: Any, body: bytes) -> bool:
    """The sender holds what its source is configured with: its token, its HMAC secret, or both."""
    if source is None or not (source.token or source.hmac_secret):
        return False
    if source.token and not _same(headers.get("authorization", ""), f"Bearer {source.token}"):
        return False
    if source.hmac_secret:
        expected = "sha256=" + hmac.new(source.hmac_secret.encode(), body, hashlib.sha256).hexdigest()
        return _same(headers.get("x-signature", ""), expected)
    return True


def _same(given: str, expected: str) -> bool:
    """Constant-time, and as bytes: a header may hold any character, which `compare_digest` refuses in a str."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def checked(item: Any, source: str) -> Envelope[Any] | dict[str, str]:
    """The event as its contract reads it, or why it is refused: the field and the reason."""
    if not isinstance(item, dict):
        return {"field": "", "reason": "an event is a JSON object"}
    contract = INBOUND.get(item.get("type"))  # type: ignore[arg-type]
    if contract is None:
        return {"field": "type", "reason": f"not an event finance sends here; one of {', '.join(sorted(INBOUND))}"}
    try:
        envelope = envelope_of(contract).model_validate(item)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        return {"field": ".".join(str(p) for p in first["loc"]), "reason": first["msg"]}
    if envelope.source != source:
        return {"field": "source", "reason": f"events sent as {source} must say source {source!r}"}
    return envelope


def rejection(item: Any, source: str, why: dict[str, str], now: datetime) -> dict[str, Any]:
    """What reconciliation keeps of a refused event: who sent it, which it was, its day, why."""
    said = item if isinstance(item, dict) else {}
    data = said.get("data") if isinstance(said.get("data"), dict) else {}
    return {"_id": uuid.uuid4().hex, "source": source, "event_id": _text(said.get("id")), "type": _text(said.get("type")),
            "customer_id": _text(data.get("customerId")), "day": day_of(said.get("time"), now), "reason": why["reason"],
            "field": why["field"], "at": now, "via": "HTTP"}


async def take(items: list[Any], source: str, uow: Uow) -> list[dict[str, str]]:
    """One unit of work for a request: the new events recorded and forwarded, copies counted, the refused kept."""
    now = uow.now()
    results: list[dict[str, str]] = []
    valid: dict[str, Envelope[Any]] = {}
    for item in items:
        found = checked(item, source)
        if isinstance(found, Envelope):
            results.append({"id": found.id, "status": "duplicate" if found.id in valid else "accepted"})
            valid.setdefault(found.id, found)
        else:
            uow.store.record_rejection(rejection(item, source, found, now), uow)
            results.append({"id": _text(item.get("id") if isinstance(item, dict) else None) or "",
                            "status": "invalid", **found})
    known = await uow.store.intake_known(list(valid))
    for result in results:
        envelope = valid.get(result["id"])
        if envelope is None or result["status"] == "invalid":  # a broken one may carry a good one's id
            continue
        if result["status"] == "accepted" and envelope.id not in known:
            uow.store.record_intake(envelope, business_date(envelope.time).isoformat(), now, uow)
            uow.forward(envelope)
        else:
            result["status"] = "duplicate"
            uow.store.count_intake_copy(envelope.id, uow)
    try:
        await uow.commit()
    except DuplicateKeyError as error:  # the same event in a request committed meanwhile: count it as a copy
        raise Conflict("an event of this request was accepted meanwhile") from error
    return results


def router(service: Callable[[], Any]) -> APIRouter:
    """`POST /events` of the credit process; `service` is the running CreditService."""
    routes = APIRouter()
    limiters: dict[str, RateLimiter] = {}

    @routes.post("/events", summary="Finance events over HTTP (CloudEvents, structured or batched)")
    async def receive(request: Request) -> JSONResponse:
        credit = service()
        settings: CreditSettings = credit.settings
        name, body = request.headers.get("x-source", ""), await request.body()
        if not authenticated(settings.intake_sources.get(name), request.headers, body):
            return _refused(401, "UNAUTHENTICATED", "unknown source, or its token or signature does not match")
        limiter = limiters.setdefault(name, RateLimiter(settings.intake_rate_per_s, settings.intake_rate_burst))
        if wait_s := limiter.wait_s(name):
            return _refused(429, "LIMIT", f"{name} sends too fast: try again in {wait_s:.1f} s",
                            {"retry-after": limiter.retry_after(wait_s)}, limit="rate")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in (STRUCTURED, BATCH):
            return _refused(415, "BAD_REQUEST", f"send {STRUCTURED} (one event) or {BATCH} (a JSON array)")
        parsed, problem = read_json(body)
        if problem is not None:
            return _refused(400, "BAD_REQUEST", problem)
        if kind == BATCH and not isinstance(parsed, list):
            return _refused(400, "BAD_REQUEST", "a batch is a JSON array of events")
        items = parsed if kind == BATCH else [parsed]
        if not 0 < len(items) <= settings.intake_batch_max:
            return _refused(413, "LIMIT", f"a batch holds 1 to {settings.intake_batch_max} events", limit="batch")
        results = await credit.run(lambda uow: take(items, name, uow))
        if kind == BATCH:
            return JSONResponse({"results": results})
        status = {"accepted": 202, "duplicate": 200, "invalid": 400}[results[0]["status"]]
        return JSONResponse(results[0], status_code=status)

    return routes


def _refused(status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: str
             ) -> JSONResponse:
    """Nothing stored; the code is one of `chassis.errors.CODES`, as everywhere."""
    return JSONResponse({"error": {"code": code, "message": message, **details}}, status_code=status,
                        headers=headers)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
