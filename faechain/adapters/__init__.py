"""How an outside system is connected to the chain (docs/adapters.md).

    interfaces   one `typing.Protocol` per outside service (`InvoiceService`, `RegistryService`,
                 `PaymentRail`) and the typed records they answer with: what a bank's IT implements
    attestor     the loop that follows the chain's events, asks the adapter, and signs the
                 attestations with the service member's identity (restart-safe, idempotent)
    handlers     what each service does with each event (which attestation, which checks first)
    tax_http, registry_http, rail_http
                 adapters that speak HTTP to the demo's simulators (faechain.devnet.simulators):
                 the shape of a real adapter

This layer imports only the SDK (and core, crypto, identity below it): an attestor is a
member's client of the chain, like any other.
"""
