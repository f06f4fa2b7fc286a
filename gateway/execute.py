"""Execution: run a plan level by level, merge the answers into one tree, shape the response.

Every fetch's data is merged into one tree keyed by response keys, so an `_entities` answer lands
on the very objects its representations came from. A subgraph error is put where its null is in
that tree, as a GraphQLError that already carries its public path. Shaping then runs the client's
own document over the tree with graphql-core: the error is raised at that spot, so exactly what a
single server would null is nulled, and the error keeps the subgraph's message and `extensions`.
"""

import asyncio
import copy
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from graphql import DocumentNode, GraphQLError, GraphQLSchema, execute
from graphql.language import get_location

from gateway.fetches import (
    ENTITIES,
    REPRESENTATIONS,
    TYPENAME,
    Batch,
    EntityPart,
    Fetch,
    Plan,
    key_alias,
    required_alias,
)
from gateway.subgraphs import SubgraphClient, SubgraphError

log = logging.getLogger("gateway")

Target = tuple[dict, list, EntityPart]  # an object at a fetch's path, its public path, what to ask of it


@dataclass
class Outcome:
    """The merged answers of all fetches, and errors that belong to no field."""

    data: dict = field(default_factory=dict)
    loose_errors: list[GraphQLError] = field(default_factory=list)
    siblings: dict[int, list[GraphQLError]] = field(default_factory=dict)  # more errors on the same null


async def run_plan(
    plan: Plan,
    clients: Mapping[str, SubgraphClient],
    variables: Mapping[str, object],
    coerced: Mapping[str, object],
    headers: dict[str, str],
) -> Outcome:
    run = _Run(clients, variables, coerced, headers)
    for stage in plan.stages:
        for level in stage:  # a level's batches are independent: all in flight at once
            await asyncio.gather(*(run.batch(b) for b in level))
    return run.outcome


async def run_event(plan: Plan, clients: Mapping[str, SubgraphClient], variables: Mapping[str, object],
                    coerced: Mapping[str, object], headers: dict[str, str], body: dict) -> Outcome:
    """One event of a subscription: the owning subgraph's `next` payload stands for the root fetch's answer, and
    the plan's other levels (entity fields owned elsewhere) are fetched for it like for any query."""
    run = _Run(clients, variables, coerced, headers)
    first, *rest = plan.stages[0]
    run.absorb(first[0].fetches[0], body)
    for level in rest:
        await asyncio.gather(*(run.batch(b) for b in level))
    return run.outcome


class _Run:
    def __init__(self, clients, variables, coerced, headers) -> None:
        self.clients = clients
        self.variables = variables
        self.coerced = coerced
        self.headers = headers
        self.outcome = Outcome()

    async def batch(self, batch: Batch) -> None:
        if batch.fetches[0].entity:
            await self._entities(batch)
        else:
            await self._root(batch, batch.fetches[0])

    def _variables(self, batch: Batch) -> dict[str, object]:
        return {n: self.variables[n] for n in batch.variable_names if n in self.variables}

    async def _root(self, batch: Batch, fetch: Fetch) -> None:
        if not fetch.needed(self.coerced):
            return
        try:
            body = await self.clients[batch.subgraph].post(
                batch.document, self._variables(batch), self.headers, read_only=batch.read_only
            )
        except SubgraphError as e:
            log.warning("request_id=%s %s", self.headers.get("x-request-id"), e.message)
            for key in fetch.field_keys:
                self._place(self.outcome.data, [key], _gateway_error(e, [key]))
            return
        self.absorb(fetch, body)

    def absorb(self, fetch: Fetch, body: dict) -> None:
        """A root fetch's answer (or one event of a subscription) merged into the tree, its errors in place."""
        data = body.get("data")
        if isinstance(data, dict):
            _merge(self.outcome.data, data)
        for error in body.get("errors") or ():
            path = error.get("path") if isinstance(error, dict) else None
            if path:
                self._place(self.outcome.data, path, _subgraph_error(error, path))
            elif data is None:  # the whole fetch failed: each of its root fields carries the error
                for key in fetch.field_keys:
                    self._place(self.outcome.data, [key], _subgraph_error(error, [key]))
            else:
                self.outcome.loose_errors.append(_subgraph_error(error, None))

    async def _entities(self, batch: Batch) -> None:
        groups = [self._representations(f) if f.needed(self.coerced) else [] for f in batch.fetches]
        if not any(groups):
            return  # nothing reached this level through these fetches (nulls, skips, empty lists)
        variables = self._variables(batch) | {
            f"{REPRESENTATIONS}{i}": [rep for rep, _ in g] for i, g in enumerate(groups)
        }
        try:
            body = await self.clients[batch.subgraph].post(batch.document, variables, self.headers)
        except SubgraphError as e:
            log.warning("request_id=%s %s", self.headers.get("x-request-id"), e.message)
            for g in groups:
                self._fail(g, partial(_gateway_error, e))
            return
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        errors: dict[tuple[int, int], list[dict]] = {}
        unplaced: list[dict] = []
        for error in body.get("errors") or ():
            path = error.get("path") if isinstance(error, dict) else None
            if path and len(path) >= 2 and str(path[0]).startswith(ENTITIES) and isinstance(path[1], int):
                errors.setdefault((int(path[0].removeprefix(ENTITIES)), path[1]), []).append(error)
            else:
                unplaced.append(error)
        for i, g in enumerate(groups):
            results = data.get(f"{ENTITIES}{i}")
            if not isinstance(results, list) or len(results) != len(g):
                cause = (
                    unplaced[0]
                    if unplaced
                    else {"message": f"subgraph {batch.subgraph} returned no entities"}
                )
                self._fail(g, partial(_subgraph_error, cause))
                continue
            for j, ((_, targets), result) in enumerate(zip(g, results, strict=True)):
                self._apply(targets, result, errors.get((i, j), []))
        if data:
            self.outcome.loose_errors.extend(_subgraph_error(e, None) for e in unplaced)

    def _representations(self, fetch: Fetch) -> list[tuple[dict, list[Target]]]:
        """One representation per distinct entity at the fetch's path, with every object it stands for."""
        found: dict[str, tuple[dict, list[Target]]] = {}
        for obj, path in _objects_at(self.outcome.data, fetch.path):
            part = fetch.parts.get(obj.get(TYPENAME))
            if part is None:
                continue
            representation = {"__typename": part.type_name}
            for name in part.key.field_names:
                representation[name] = obj.get(key_alias(name))
            if any(representation[n] is None for n in part.key.field_names):
                continue  # no key, no entity: its fields stay null
            for name in part.required:
                representation[name] = obj.get(required_alias(name))
            identity = _identity(representation)
            found.setdefault(identity, (representation, []))[1].append((obj, path, part))
        return list(found.values())

    def _apply(self, targets: list[Target], result: object, errors: list[dict]) -> None:
        for n, (obj, path, part) in enumerate(targets):
            if isinstance(result, dict):
                _merge(obj, result if n == 0 else copy.deepcopy(result))
            for error in errors:
                rest = list(error["path"][2:])
                if not rest:  # the entity itself failed (e.g. its reference did not resolve)
                    self._fail([(None, [(obj, path, part)])], partial(_subgraph_error, error))
                    continue
                placed = _subgraph_error(error, path + rest)
                self._place(obj, rest, placed)
                if result is None:
                    # The entity was nulled by the subgraph: its other fields from this fetch carry the same
                    # error, so a non-null one among them propagates the null exactly as one server would.
                    for key in part.field_keys:
                        obj.setdefault(key, placed)

    def _fail(self, group: list[tuple[dict | None, list[Target]]], make_error) -> None:
        for _, targets in group:
            for obj, path, part in targets:
                for key in part.field_keys:
                    if obj.get(key) is None:
                        obj[key] = make_error(path + [key])

    def _place(self, container: dict, relative: list, error: GraphQLError) -> None:
        """Put `error` where the subgraph's null is on `relative`, so that shaping raises it there."""
        current: object = container
        for segment in relative:
            if isinstance(current, dict) and isinstance(segment, str):
                value = current.get(segment)
            elif isinstance(current, list) and isinstance(segment, int) and 0 <= segment < len(current):
                value = current[segment]
            else:
                break
            if value is None:
                current[segment] = error
                return
            if isinstance(value, GraphQLError):
                self.outcome.siblings.setdefault(id(value), []).append(error)
                return
            current = value
        self.outcome.loose_errors.append(error)  # reported, though the subgraph still gave a value


def _identity(representation: dict) -> object:
    """Equal for representations of the same entity. Built in one order (type, key, required fields), so the
    values alone tell them apart when all are strings, as ids are; anything else by its JSON."""
    values = tuple(representation.values())
    if all(type(v) is str for v in values):
        return values
    return json.dumps(representation, sort_keys=True, default=str)


def _objects_at(data: dict, path: tuple[str, ...]) -> list[tuple[dict, list]]:
    level: list[tuple[object, list]] = [(data, [])]
    for key in path:
        following: list[tuple[object, list]] = []
        for obj, obj_path in level:
            if isinstance(obj, dict):
                _flatten(obj.get(key), obj_path + [key], following)
        level = following
    return [(obj, obj_path) for obj, obj_path in level if isinstance(obj, dict)]


def _flatten(value: object, path: list, into: list) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            _flatten(item, path + [i], into)
    elif isinstance(value, dict):
        into.append((value, path))


def _merge(target: dict, source: dict) -> None:
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            _merge_lists(existing, value)
        else:
            target[key] = value


def _merge_lists(target: list, source: list) -> None:
    for i, (existing, value) in enumerate(zip(target, source, strict=True)):
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            _merge_lists(existing, value)
        else:
            target[i] = value


def _subgraph_error(error: dict, path: list | None) -> GraphQLError:
    """The subgraph's error at its public path; message and extensions (its `code`) kept as sent."""
    message = error.get("message") if isinstance(error, dict) else None
    extensions = error.get("extensions") if isinstance(error, dict) else None
    return GraphQLError(
        str(message or "subgraph error"),
        path=path,
        extensions=extensions if isinstance(extensions, dict) else None,
    )


def _gateway_error(e: SubgraphError, path: list) -> GraphQLError:
    return GraphQLError(e.message, path=path, extensions={"code": e.code, "subgraph": e.subgraph})


def _from_data(parent: object, info, /, **_args: object) -> object:
    """Positional-only: a field's own argument may be called `source` or `info`."""
    value = parent.get(info.path.key) if isinstance(parent, dict) else None
    if isinstance(value, GraphQLError) and value.locations is None and value.path == info.path.as_list():
        # Locations point into the client's document, as a single server's would.
        value.locations = [get_location(n.loc.source, n.loc.start) for n in info.field_nodes if n.loc]
    return value


def _typename_from_data(value: object, info, abstract_type) -> str | None:
    return value.get(TYPENAME) if isinstance(value, dict) else None


def shape(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    outcome: Outcome,
    variables: Mapping[str, object],
) -> dict:
    """The response a single server would give for `document`, read from the merged tree."""
    result = execute(
        schema,
        document,
        root_value=outcome.data,
        variable_values=dict(variables),
        operation_name=operation_name,
        field_resolver=_from_data,
        type_resolver=_typename_from_data,
    )
    errors: list[GraphQLError] = []
    seen: set[int] = set()
    for error in result.errors or ():
        if id(error) in seen:
            continue  # one subgraph error may be raised on several fields of a nulled entity
        seen.add(id(error))
        errors.append(error)
        errors.extend(outcome.siblings.get(id(error), ()))
    errors.extend(outcome.loose_errors)
    response: dict = {"data": result.data}
    if errors:
        response["errors"] = [e.formatted for e in errors]
    return response
