"""The `crm` command: dev, serve, token, seed, publish, contracts, dlq."""

import argparse
import asyncio
import importlib
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chassis import tracing
from chassis.auth import Role, mint_token
from chassis.embedded import EmbeddedMongo
from chassis.logs import configure as configure_logs
from chassis.settings import Settings
from crm.broker import write_definitions
from crm.services import SERVICES, app_factory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="everything in one process on embedded defaults, with demo data")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--data-dir", type=Path, default=None, help="embedded data (default .crm/ or DATA_DIR)")

    serve = commands.add_parser("serve", help="one process of one kind, configured by the environment "
                                "(the gateway reads SUBGRAPHS=name=url,...)")
    serve.add_argument("kind", choices=[*SERVICES, "gateway"])
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    tok = commands.add_parser("token", help="print a dev token (HS256 with JWT_SECRET)")
    tok.add_argument("--role", action="append", required=True, choices=[r.value for r in Role])
    tok.add_argument("--user", required=True)
    tok.add_argument("--region")
    tok.add_argument("--name")
    tok.add_argument("--hours", type=float, default=12)

    commands.add_parser("schemas", help="write each service's SDL to services/<name>/schema.graphql and "
                        "the broker topology (exchanges, queues, bindings) to deploy/rabbitmq/definitions.json")

    contracts = commands.add_parser("contracts", help="event contracts for outside publishers")
    contracts.add_argument("action", choices=["export"])
    contracts.add_argument("directory", type=Path)

    publish = commands.add_parser("publish", help="publish a sample event as finance/ERP would: to AMQP_URL, or "
                                  "over HTTP to credit's intake (--http)")
    publish.add_argument("event", choices=["invoice", "payment", "note", "note-settled", "note-dishonoured"])
    publish.add_argument("--customer", help="customer id (invoice, payment, note)")
    publish.add_argument("--amount-fen", type=int, help="invoice, payment, note")
    publish.add_argument("--id", help="the invoice/payment/note id (default: a new one; the note's for "
                         "note-settled / note-dishonoured)")
    publish.add_argument("--term-days", type=int, default=30, help="invoice: days until due")
    publish.add_argument("--salesperson")
    publish.add_argument("--invoice", action="append", help="payment: invoice ids it settles")
    publish.add_argument("--http", metavar="URL", help="POST it to credit's intake instead (e.g. "
                         "http://localhost:8000/subgraphs/credit/events under `crm dev`)")
    publish.add_argument("--source", default="erp", help="--http: the sending system, as configured in "
                         "CREDIT_INTAKE_SOURCES (default erp)")
    publish.add_argument("--token", default=os.environ.get("INTAKE_TOKEN"),
                         help="--http: the source's token (default: INTAKE_TOKEN)")
    publish.add_argument("--hmac-secret", default=os.environ.get("INTAKE_HMAC_SECRET"),
                         help="--http: sign the body with the source's secret (default: INTAKE_HMAC_SECRET)")

    dlq = commands.add_parser("dlq", help="a service's dead-letter queue on AMQP_URL: list, show, replay, purge")
    dlq.add_argument("action", choices=["list", "show", "replay", "purge"])
    dlq.add_argument("service", choices=SERVICES, help="with CRM_INSTANCE set, that copy of it")
    dlq.add_argument("--id", help="the event id (show needs it)")
    dlq.add_argument("--type", help="only events of this type")
    dlq.add_argument("--reason", help="only those whose reason contains this")
    dlq.add_argument("--all", action="store_true", help="replay / purge: every dead letter")
    dlq.add_argument("--yes", action="store_true", help="purge without asking")

    args = parser.parse_args(argv)
    settings = Settings()
    configure_logs(settings.log_level, settings.log_format, service=getattr(args, "kind", args.command))
    if args.command in ("serve", "dev"):
        tracing.configure(getattr(args, "kind", "crm-dev"))
    match args.command:
        case "dev":
            return _dev(settings, args.port, args.data_dir)
        case "serve":
            return _serve(settings, args.kind, args.host, args.port)
        case "token":
            print(mint_token(settings.jwt_secret, args.user, args.role, now=datetime.now(UTC), name=args.name,
                             region=args.region, ttl=timedelta(hours=args.hours)))
            return 0
        case "schemas":
            for name in SERVICES:
                module = importlib.import_module(f"services.{name}.schema")
                path = Path(module.__file__).with_name("schema.graphql")
                path.write_text(module.schema.as_str() + "\n")
                print(path)
            print(write_definitions())
            return 0
        case "contracts":
            from contracts.export import export

            for path in export(args.directory):
                print(path)
            return 0
        case "publish":
            return asyncio.run(_publish(settings, args))
        case "dlq":
            return asyncio.run(_dlq(settings, args))
    return 2


def _dev(settings: Settings, port: int, data_dir: Path | None) -> int:
    import uvicorn

    from crm.dev import all_in_one

    settings = settings.model_copy(update={"data_dir": data_dir or settings.data_dir})
    embedded = None
    if not settings.mongo_url:
        embedded = EmbeddedMongo(settings.data_dir / "mongo").start()
        settings = settings.model_copy(update={"mongo_url": embedded.url})
    token = mint_token(settings.jwt_secret, "demo-sales-east", [Role.SALES], now=datetime.now(UTC),
                       name="Demo Sales (east)", region="east", ttl=timedelta(days=7))
    print(f"""
  crm dev: GraphiQL at http://localhost:{port}/graphql
  Mongo: {"embedded nx-27017 in " + str(settings.data_dir / "mongo") if embedded else settings.mongo_url}
  Bus:   {settings.amqp_url or "in-process (set AMQP_URL for RabbitMQ)"}

  A dev token (SALES, east, 7 days) — GraphiQL → Headers: {{"Authorization": "Bearer <token>"}}
  {token}

  Other roles: crm token --role ADMIN --user me
""", flush=True)
    try:
        uvicorn.run(all_in_one(settings), host="127.0.0.1", port=port, log_level="warning", log_config=None)
    finally:
        if embedded:
            embedded.stop()
    return 0


def _serve(settings: Settings, kind: str, host: str, port: int) -> int:
    import uvicorn

    if kind == "gateway":
        from gateway.app import create_gateway_app

        uvicorn.run(create_gateway_app(settings), host=host, port=port, log_level=settings.log_level.lower(),
                    log_config=None)
        return 0
    embedded = None
    if not settings.mongo_url:
        if settings.crm_env == "prod":
            print("MONGO_URL is required when CRM_ENV=prod", file=sys.stderr)
            return 2
        embedded = EmbeddedMongo(settings.data_dir / "mongo").start()
        settings = settings.model_copy(update={"mongo_url": embedded.url})
    try:
        uvicorn.run(app_factory(kind)(settings), host=host, port=port, log_level=settings.log_level.lower(),
                    log_config=None)
    finally:
        if embedded:
            embedded.stop()
    return 0


async def _dlq(settings: Settings, args: argparse.Namespace) -> int:
    from crm import dlq

    if not settings.amqp_url:
        print("AMQP_URL is not set (e.g. amqp://guest:guest@localhost:5672/)", file=sys.stderr)
        return 2
    criteria = {"id": args.id, "type": args.type, "reason": args.reason}
    if args.action in ("replay", "purge") and not args.all and not any(criteria.values()):
        print(f"{args.action}: say which (--id, --type, --reason) or --all", file=sys.stderr)
        return 2
    if args.action == "show" and not args.id:
        print("show needs --id", file=sys.stderr)
        return 2
    service = ".".join(filter(None, [args.service, settings.instance]))
    async with dlq.dead_letters(settings.amqp_url, service) as reading:
        picked = [letter for letter in reading.letters if letter.matches(**criteria)]
        match args.action:
            case "list":
                print(dlq.table(picked))
                print(f"{len(picked)} of {len(reading.letters)} dead letters in {service}")
            case "show":
                print("\n\n".join(dlq.shown(letter) for letter in picked) or f"no dead letter {args.id}")
            case "replay":
                done = await reading.replay(lambda letter: letter in picked)
                print(f"replayed {len(done)} through the entrance of {service}: {', '.join(x.id for x in done)}")
            case "purge":
                if not args.yes and input(f"drop {len(picked)} dead letters of {service} for good? "
                                          "type the service's name: ").strip() != args.service:
                    print("nothing dropped", file=sys.stderr)
                    return 1
                done = await reading.purge(lambda letter: letter in picked)
                print(f"dropped {len(done)}: {', '.join(x.id for x in done)}")
    return 0


async def _publish(settings: Settings, args: argparse.Namespace) -> int:
    import aio_pika

    from contracts.envelope import Envelope
    from contracts.sales import InvoiceIssued, NoteDishonoured, NoteReceived, NoteSettled, PaymentReceived

    if not settings.amqp_url and not args.http:
        print("AMQP_URL is not set (e.g. amqp://guest:guest@localhost:5672/), nor --http", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    event_id = args.id or f"{args.event}-{uuid.uuid4().hex[:12]}"
    if args.event.startswith("note-") and not args.id:
        print(f"{args.event} needs --id: the note's id", file=sys.stderr)
        return 2
    if not args.event.startswith("note-") and (not args.customer or args.amount_fen is None):
        print(f"{args.event} needs --customer and --amount-fen", file=sys.stderr)
        return 2
    match args.event:
        case "invoice":
            data = InvoiceIssued(invoice_id=event_id, customer_id=args.customer, amount_fen=args.amount_fen,
                                 issued_at=now, due_at=now + timedelta(days=args.term_days),
                                 salesperson_id=args.salesperson)
        case "payment":
            data = PaymentReceived(payment_id=event_id, customer_id=args.customer, amount_fen=args.amount_fen,
                                   received_at=now, invoice_ids=args.invoice, salesperson_id=args.salesperson)
        case "note-settled":
            data = NoteSettled(note_id=event_id)
        case "note-dishonoured":
            data = NoteDishonoured(note_id=event_id)
        case _:
            data = NoteReceived(note_id=event_id, customer_id=args.customer, amount_fen=args.amount_fen,
                                matures_at=now + timedelta(days=args.term_days))
    source = args.source if args.http else "crm-cli"
    envelope = Envelope.wrap(data, source=source, time=now, id=f"{data.type}:{event_id}")  # resent = same
    if args.http:
        return _post(args, envelope.to_json())
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange("crm.events", aio_pika.ExchangeType.TOPIC, durable=True)
        await exchange.publish(aio_pika.Message(envelope.to_json(), message_id=envelope.id,
                                                content_type="application/cloudevents+json",
                                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT), data.type)
    print(envelope.to_json().decode())
    return 0


def _post(args: argparse.Namespace, body: bytes) -> int:
    """One event to credit's intake (CloudEvents structured mode), authenticated as the intake expects."""
    import hashlib
    import hmac

    import httpx

    headers = {"content-type": "application/cloudevents+json", "x-source": args.source}
    if args.token:
        headers["authorization"] = f"Bearer {args.token}"
    if args.hmac_secret:
        headers["x-signature"] = "sha256=" + hmac.new(args.hmac_secret.encode(), body, hashlib.sha256).hexdigest()
    answer = httpx.post(args.http, content=body, headers=headers, timeout=30)
    print(answer.status_code, answer.text)
    return 0 if answer.status_code in (200, 202) else 1


if __name__ == "__main__":
    sys.exit(main())
