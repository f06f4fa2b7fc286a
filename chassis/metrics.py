"""What every process counts, for Prometheus at `/metrics`: one place, so that each name and label exists once.

`service` is the service as its queues name it (`credit`, or `credit.<instance>` for a copy).
"""

from prometheus_client import Counter, Gauge, Histogram

GRAPHQL_OPERATIONS = Counter("crm_graphql_operations_total", "GraphQL operations answered",
                             ["service", "operation", "outcome"])  # outcome: ok | error
GRAPHQL_ERRORS = Counter("crm_graphql_errors_total", "GraphQL errors by code", ["service", "code"])
GRAPHQL_SECONDS = Histogram("crm_graphql_operation_seconds", "Time to answer a GraphQL operation",
                            ["service", "operation"])

SUBGRAPH_FETCHES = Counter("crm_gateway_subgraph_fetches_total", "Requests the gateway sent to a subgraph",
                           ["subgraph", "outcome"])  # outcome: ok | timeout | unavailable
SUBGRAPH_SECONDS = Histogram("crm_gateway_subgraph_fetch_seconds", "Time of one gateway request to a subgraph",
                             ["subgraph"])
SUBSCRIPTIONS = Gauge("crm_gateway_subscriptions", "Subscriptions the gateway forwards to a subgraph now",
                      ["subgraph"])
SHARED_FETCHES = Counter("crm_gateway_shared_fetches_total",
                         "Subgraph queries answered by the same caller's identical request already in flight",
                         ["subgraph"])
SHARED_OPERATIONS = Counter("crm_gateway_shared_operations_total",
                            "Query operations answered by the same caller's identical operation already in flight")

EVENTS = Counter("crm_events_total", "Events taken from the bus, by what became of them",
                 ["service", "type", "outcome"])  # outcome: consumed | retried | dead_lettered | moved
QUEUE_READY = Gauge("crm_queue_ready_messages", "Events waiting in each of the service's partition queues (its lag), "
                    "as each replica last counted them", ["service", "queue"])
HANDLER_SECONDS = Histogram("crm_event_handler_seconds", "Time to apply a consumed event, commit included",
                            ["service", "type"])

OUTBOX_BACKLOG = Gauge("crm_outbox_backlog", "Events committed and not yet confirmed by the broker", ["service"])
OUTBOX_OLDEST_SECONDS = Gauge("crm_outbox_oldest_age_seconds", "Age of the oldest event waiting in the outbox",
                              ["service"])

JOB_RUNS = Counter("crm_job_runs_total", "Runs of periodic jobs, by outcome", ["service", "job", "outcome"])
SWEEP_FAILURES = Counter("crm_sweep_item_failures_total", "Items a sweep could not handle (tried again next run)",
                         ["service", "job"])
STORE_RESTARTS = Counter("crm_embedded_store_stale_ends_total",
                         "Leftover embedded stores ended before a new one started")
