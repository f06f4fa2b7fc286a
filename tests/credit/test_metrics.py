"""`/metrics` after a few operations and events: each of the process's metrics is there, with plausible
values (Prometheus's text format, read with its own parser). Real RabbitMQ, the real Mongo wire protocol."""

import httpx
from prometheus_client.parser import text_string_to_metric_families

from chassis.app import run_job
from services.credit.app import KIT
from tests.credit.conftest import CreditHarness, invoice, payment, registered
from tests.credit.test_hot_customers import publish_to_service
from tests.support import PARTITIONS, eventually


async def scrape(credit: CreditHarness) -> dict[tuple[str, frozenset], float]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=credit.app), base_url="http://test") as http:
        text = (await http.get("/metrics")).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)


async def test_metrics_count_operations_events_outbox_and_jobs(credit: CreditHarness) -> None:
    service = f"credit.{credit.instance}"
    customer = f"cust-{credit.instance}"
    await publish_to_service(credit.amqp_url, service, [
        registered(customer), invoice(customer, "INV-1", 50_000), payment(customer, "PAY-1", 20_000),
        payment(customer, "PAY-bad", -1), payment("nobody", "PAY-early", 100)])

    async def settled() -> dict | None:
        samples = await scrape(credit)
        events = value(samples, "crm_events_total", service=service)
        dead = value(samples, "crm_events_total", service=service, outcome="dead_lettered")
        lag_counted = any(n == "crm_queue_ready_messages" and ("service", service) in ls for n, ls in samples)
        # 3 consumed, 3 tries of the early one; the partitions' backlog counted once (every 2 s)
        return samples if dead >= 2 and events >= 3 + 3 + 2 and lag_counted else None

    await credit.profile(customer)  # a GraphQL operation
    refused = await credit.gql('{ creditProfile(customerId: "x") { customerId } }', as_token=None)  # anonymous
    assert refused["errors"]
    await run_job(KIT.jobs[1], credit.service)
    samples = await eventually(settled, timeout_s=30)

    ok = {"service": service, "operation": "creditProfile"}
    assert value(samples, "crm_graphql_operations_total", **ok, outcome="ok") >= 1
    assert value(samples, "crm_graphql_operations_total", **ok, outcome="error") >= 1
    assert value(samples, "crm_graphql_errors_total", service=service, code="UNAUTHENTICATED") >= 1
    assert 0 < value(samples, "crm_graphql_operation_seconds_sum", **ok) < 60
    assert value(samples, "crm_events_total", service=service, type="payment.received", outcome="consumed") == 1
    assert value(samples, "crm_events_total", service=service, outcome="retried") == 2
    assert value(samples, "crm_event_handler_seconds_count", service=service, type="invoice.issued") == 1
    assert value(samples, "crm_outbox_backlog", service=service) == 0
    partitions = {dict(ls)["queue"] for n, ls in samples if n == "crm_queue_ready_messages" and ("service", service) in ls}
    assert partitions == {f"crm.{service}.{i}" for i in range(PARTITIONS)}
    assert value(samples, "crm_outbox_oldest_age_seconds", service=service) == 0
    assert value(samples, "crm_job_runs_total", service=service, job="overdue-sweep", outcome="ok") == 1
