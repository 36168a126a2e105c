"""Member nodes: an organisation's own node that holds only what the organisation may read.

Validators execute every block (consensus needs them to); every other organisation runs a
member node that follows them (`engine.MemberEngine`), checks what it receives against the
validators' signed headers (`verify`), keeps it in its own ledger and serves its users the
same REST API, console and event stream a full node does (`node.MemberNode`). What it cannot
answer from its organisation's view it says so (`not_available_here`), never guesses.
See docs/member-nodes.md.
"""
