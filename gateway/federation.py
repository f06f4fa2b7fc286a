"""Reading one Federation 2 subgraph SDL: which federation directives it imports, and under what names.

A subgraph's SDL says `schema @link(url: ".../federation/v2.x", import: ["@key", ...])`. Imported
directives keep their (possibly renamed) short name; the rest are reachable as `federation__name`.
We translate every usage back to the federation name, so composition reasons about `key`, never
about how one subgraph happened to spell it, and refuse what we would otherwise silently mishandle.
"""

from dataclasses import dataclass, field

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    GraphQLSyntaxError,
    Node,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    parse,
    value_from_ast_untyped,
)

FEDERATION_URL = "https://specs.apollo.dev/federation/"
LINK_URL = "https://specs.apollo.dev/link/"

# What the router understands. @provides is an optimisation only: we fetch provided fields from
# their owner instead, which gives the same answer. @tag, @cost and @listSize are metadata for
# other tools (contracts, demand control); ignoring them changes no answer.
SUPPORTED = {
    "key",
    "shareable",
    "external",
    "requires",
    "provides",
    "override",
    "inaccessible",
    "extends",
    "tag",
    "cost",
    "listSize",
}
REFUSED = {
    "interfaceObject": "entity interfaces (@interfaceObject) are not supported by this gateway",
    "composeDirective": "@composeDirective is not supported: custom directives are not composed",
    "authenticated": "@authenticated is enforced by routers, not this gateway: authorise in the subgraph",
    "requiresScopes": "@requiresScopes is enforced by routers, not this gateway: authorise in the subgraph",
    "policy": "@policy is enforced by routers, not this gateway: authorise in the subgraph",
    "context": "@context/@fromContext are not supported by this gateway",
    "fromContext": "@context/@fromContext are not supported by this gateway",
}
KNOWN = SUPPORTED | set(REFUSED)
# Directives of GraphQL itself: they mean the same in the composed schema, so they are kept.
GRAPHQL_DIRECTIVES = {"deprecated", "specifiedBy", "oneOf"}
# Types that federation adds to every subgraph; none of them belongs in the public schema.
FEDERATION_TYPES = {"_Any", "_Entity", "_Service", "FieldSet", "_FieldSet", "link__Import", "link__Purpose"}
FEDERATION_QUERY_FIELDS = {"_entities", "_service"}


@dataclass
class SubgraphSDL:
    """One subgraph's SDL, parsed, with its federation directives under their federation names."""

    name: str
    document: DocumentNode
    directive_names: dict[str, str]  # local spelling → federation name
    private_types: set[str] = field(default_factory=set)  # federation's own types, stripped
    problems: list[str] = field(default_factory=list)

    def federation_name(self, directive: DirectiveNode) -> str | None:
        return self.directive_names.get(directive.name.value)

    def directives(self, node: Node, name: str) -> list[DirectiveNode]:
        """The usages of federation directive `name` on `node`, whatever the subgraph calls it."""
        return [d for d in getattr(node, "directives", None) or () if self.federation_name(d) == name]

    def has(self, node: Node, name: str) -> bool:
        return bool(self.directives(node, name))

    def is_private_type(self, type_name: str) -> bool:
        return (
            type_name in FEDERATION_TYPES
            or type_name in self.private_types
            or type_name.startswith(("link__", "federation__"))
        )


def directive_args(directive: DirectiveNode) -> dict[str, object]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


def read_subgraph(name: str, sdl: str) -> SubgraphSDL:
    """Parse one subgraph's SDL; problems that make it unservable are collected in `.problems`."""
    try:
        document = parse(sdl)
    except GraphQLSyntaxError as e:
        return SubgraphSDL(
            name,
            DocumentNode(definitions=()),
            {},
            problems=[f"subgraph {name}: its SDL does not parse: {e.message}"],
        )
    links = [
        d
        for node in document.definitions
        if isinstance(node, (SchemaDefinitionNode, SchemaExtensionNode))
        for d in node.directives or ()
        if d.name.value == "link"
    ]
    federation_links = [d for d in links if str(directive_args(d).get("url", "")).startswith(FEDERATION_URL)]
    if not federation_links:
        return SubgraphSDL(
            name,
            document,
            {},
            problems=[
                f'subgraph {name}: its SDL has no `@link(url: "{FEDERATION_URL}v2.x")`; only Federation 2 '
                "subgraphs are supported (Strawberry's federation.Schema emits it)"
            ],
        )
    subgraph = SubgraphSDL(name, document, {})
    _read_link(subgraph, directive_args(federation_links[0]))
    _check_directives(subgraph)
    return subgraph


def _read_link(subgraph: SubgraphSDL, link: dict[str, object]) -> None:
    url = str(link["url"])
    if not url.removeprefix(FEDERATION_URL).startswith("v2."):
        subgraph.problems.append(
            f"subgraph {subgraph.name}: federation version {url} is not supported (v2.x is)"
        )
    namespace = str(link.get("as") or "federation")
    # Not imported: still usable with the namespace prefix, e.g. @federation__shareable.
    names = {f"{namespace}__{known}": known for known in KNOWN}
    for item in link.get("import") or []:
        original, local = (
            (item, item) if isinstance(item, str) else (item["name"], item.get("as", item["name"]))
        )
        if original.startswith("@"):
            names[local.removeprefix("@")] = original.removeprefix("@")
        else:
            subgraph.private_types.add(local)  # FieldSet, Scope, ... under whatever name it was imported
    subgraph.directive_names = names


def _check_directives(subgraph: SubgraphSDL) -> None:
    """Every directive in the SDL is one we serve correctly, or composition stops here."""
    for node in subgraph.document.definitions:
        if isinstance(node, DirectiveDefinitionNode):
            local = node.name.value
            if local != "link" and local not in subgraph.directive_names:
                subgraph.problems.append(
                    f"subgraph {subgraph.name}: defines directive @{local}; custom directives are not "
                    "composed "
                    "(the gateway would not forward them)"
                )
            continue
        if isinstance(node, (SchemaDefinitionNode, SchemaExtensionNode)):
            continue
        if isinstance(node, (TypeDefinitionNode, TypeExtensionNode)) and subgraph.is_private_type(
            node.name.value
        ):
            continue
        for where, element in _elements(node):
            for directive in getattr(element, "directives", None) or ():
                _check_usage(subgraph, directive, where)


def _elements(node: Node):
    """(readable location, AST node) for a type and each of its fields, arguments and values."""
    type_name = node.name.value
    yield type_name, node
    for f in getattr(node, "fields", None) or ():
        yield f"{type_name}.{f.name.value}", f
        for arg in getattr(f, "arguments", None) or ():
            yield f"{type_name}.{f.name.value}({arg.name.value}:)", arg
    for value in getattr(node, "values", None) or ():
        yield f"{type_name}.{value.name.value}", value


def _check_usage(subgraph: SubgraphSDL, directive: DirectiveNode, where: str) -> None:
    local = directive.name.value
    if local in GRAPHQL_DIRECTIVES:
        return
    federation_name = subgraph.directive_names.get(local)
    if federation_name is None:
        subgraph.problems.append(
            f"subgraph {subgraph.name}: @{local} on {where} is not a federation directive; the gateway would "
            "drop it silently, so it refuses to compose"
        )
    elif federation_name in REFUSED:
        subgraph.problems.append(f"subgraph {subgraph.name}: @{local} on {where}: {REFUSED[federation_name]}")
    elif federation_name not in SUPPORTED:
        subgraph.problems.append(
            f"subgraph {subgraph.name}: @{local} on {where} is federation's @{federation_name}, which this "
            "gateway does not know; it refuses rather than mishandle it"
        )
    elif federation_name == "override" and "label" in directive_args(directive):
        subgraph.problems.append(
            f"subgraph {subgraph.name}: @override(label:) on {where}: progressive override is not supported"
        )
