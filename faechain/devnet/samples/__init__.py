"""Sample business for the demo consortium, one module per business module, each
submitted through a `Samples` driver (an SDK client or an in-process node)."""
