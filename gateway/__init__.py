"""Our own Apollo Federation 2 router for the subset of federation the services use.

compose: subgraph SDLs → one public schema + who resolves what · plan: an operation → fetches ·
execute: fetches → one response · app: HTTP, auth, limits, GraphiQL.
"""
