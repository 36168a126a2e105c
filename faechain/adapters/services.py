"""The three services by name: their protocol, their handler, the member type that signs.

`build_attestor("tax", adapter, url, identity, state_path)` is what `fae attestor run` and
the simulators both do: check that the adapter satisfies the service's protocol and that
the identity belongs to an organisation of the right type, then wire the loop.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faechain.adapters.attestor import Attestor, Chain, Handler, StateFile
from faechain.adapters.interfaces import InvoiceService, PaymentRail, RegistryService
from faechain.adapters.rail_handler import RailHandler
from faechain.adapters.registry_handler import RegistryHandler
from faechain.adapters.tax_handler import TaxHandler
from faechain.core.errors import FaeError
from faechain.identity.wallet import Identity
from faechain.sdk import Client


class AdapterError(FaeError):
    """An adapter that cannot be loaded or does not fit its service (a message to act on)."""

    code = "bad_adapter"


@dataclass(frozen=True)
class Service:
    name: str  # tax, registry, rail
    title: str  # what it is, for messages
    protocol: type
    handler: Callable[[Any], Handler]
    roles: tuple[str, ...]  # organisation types that may sign its attestations
    demo_identity: str  # the demo wallet's member that runs it
    http_adapter: str  # module:Class of the adapter to its simulator


SERVICES: dict[str, Service] = {
    "tax": Service("tax", "e-invoice verification service", InvoiceService, TaxHandler, ("TAX_SERVICE",),
                   "taxservice", "faechain.adapters.tax_http:TaxHttpAdapter"),
    "registry": Service("registry", "movable-property registry agent", RegistryService, RegistryHandler,
                        ("REGISTRY_AGENT",), "registry", "faechain.adapters.registry_http:RegistryHttpAdapter"),
    "rail": Service("rail", "payment rail", PaymentRail, RailHandler, ("PAYMENT_RAIL", "BANK"), "ecny",
                    "faechain.adapters.rail_http:RailHttpAdapter"),
}


def load_adapter(spec: str, options: dict[str, Any]) -> Any:
    """An instance of the class `spec` ("package.module:Class") made with `options` as keywords."""
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        raise AdapterError(f"--adapter {spec!r}: give it as package.module:Class")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AdapterError(f"--adapter {spec!r}: cannot import {module_name}: {exc}") from None
    cls = getattr(module, class_name, None)
    if cls is None:
        raise AdapterError(f"--adapter {spec!r}: {module_name} has no {class_name}")
    try:
        return cls(**options)
    except TypeError as exc:
        raise AdapterError(f"--adapter {spec!r}: cannot make one with options {sorted(options)}: {exc}") from None


def build_attestor(service: str, adapter: Any, client: Client, identity: Identity, state_path: str, *,
                   label: str | None = None, poll_seconds: float = 2.0, from_height: int | None = None) -> Attestor:
    """The attestor of `service` over `adapter`, signing as `identity`, remembering in `state_path`."""
    svc = SERVICES.get(service)
    if svc is None:
        raise AdapterError(f"no service {service!r} (one of {', '.join(SERVICES)})")
    if not isinstance(adapter, svc.protocol):
        missing = [m for m in dir(svc.protocol) if not m.startswith("_") and not hasattr(adapter, m)]
        raise AdapterError(f"{type(adapter).__name__} does not satisfy {svc.protocol.__name__}: it lacks "
                           f"{', '.join(missing)}")
    if identity.role not in svc.roles:
        raise AdapterError(f"identity {identity.name!r} belongs to a {identity.role} organisation; the {svc.title}'s "
                           f"attestations are signed by a {' or '.join(svc.roles)} member")
    chain = Chain(client, identity, label or f"{service} attestor")
    return Attestor(chain, svc.handler(adapter), StateFile(state_path), poll_seconds=poll_seconds,
                    from_height=from_height)
