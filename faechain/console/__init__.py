"""The web console and block explorer, served beside the REST API.

This package is an `faechain.api.server.Extension`: the node passes it to `build_app`,
which registers its routes (`add_routes`) and documents them (`extend_document`).
"""

from faechain.console.openapi import extend as extend_document
from faechain.console.routes import add_routes

__all__ = ["add_routes", "extend_document"]
