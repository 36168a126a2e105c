"""Simulators of the outside services for the demo, the tests and CI (docs/adapters.md).

    tax        the tax authority's e-invoice service (数电票): invoices, voids
    registry   the movable-property registry (中登网): registrations, searches, releases
    rail       a payment rail (e-CNY): accounts, collections, payouts, reservations

Each runs as its own process (`fae simulator tax|registry|rail`), serving its simulated
system over HTTP with its own SQLite file and running the attestor with its service
member's identity. Simulators, never the real thing: every answer and log line says so.
"""
