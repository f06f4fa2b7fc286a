"""The batching loader: resolving many customers' fields at a subgraph costs one store query, not one per
customer. Counted with the driver's own command monitoring, on the real wire protocol."""

import functools

from chassis.auth import Principal, Role
from services.customer.domain import CustomerKind, CustomerNature
from services.customer.handlers import register_customer
from tests.federation import federation
from tests.store_reads import reads
from tests.support import START, eventually, token

ADMIN = token("ADMIN", user="admin", region=None)
# What the gateway asks each subgraph for when a list of customers shows their fields from everywhere.
ASKED = {
    "customer": ("name code region", "customers"),
    "credit": ("credit { limitFen exposureFen utilization }", "profiles"),
    "ownership": ("ownership { ownerId basis expiresAt inPool }", "ownerships"),
    "complaints": ("complaints { id status }", "complaints"),
}


async def test_entities_for_50_customers_cost_one_store_query_per_subgraph(
        mongo_url: str, amqp_url: str, unique: str) -> None:
    listener = reads()
    async with federation(mongo_url, amqp_url, unique) as crm:
        archive = crm.services["customer"]
        seller = Principal("rep-batch", "rep-batch", frozenset({Role.SALES}), "east")
        ids = [(await archive.run(functools.partial(register_customer, {
            "name": f"批量客户 {i:02d}", "kind": CustomerKind.COMPANY, "nature": CustomerNature.ORDINARY_COMPANY,
            "region": "east"}, seller))).id for i in range(50)]

        async def everyone_knows_them() -> bool:
            # ... and has heard who owns them (OWN-1): no consumer reads them while we count
            owned = {"_id": {"$in": ids}, "owner_id": "rep-batch"}
            counts = [await crm.services["customer"].store.customers.count_documents(owned),
                      await crm.services["credit"].store.profiles.count_documents(owned),
                      await crm.services["ownership"].store.ownerships.count_documents(owned),
                      await crm.services["complaints"].store.customers.count_documents(
                          owned | {"owner_changed_at": {"$gte": START}})]  # heard from ownership, not registration
            return counts == [50, 50, 50, 50]

        await eventually(everyone_knows_them, timeout_s=60)
        representations = [{"__typename": "Customer", "id": i} for i in ids]
        for name, (selection, collection) in ASKED.items():
            query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { SELECTION } } }"
            query = query.replace("SELECTION", selection)
            listener.seen.clear()
            listener.counting = True
            answer = await crm.subgraphs[name].data(query, {"r": representations}, as_token=ADMIN)
            listener.counting = False
            assert len(answer["_entities"]) == 50
            database = f"crm_{name}_{unique}"  # the relay and the consumers read their outbox and inbox meanwhile
            resolved = {c: n for (db, c), n in listener.seen.items() if db == database and c not in ("outbox", "inbox")}
            assert resolved == {collection: 1}, name
