"""Formats every party agrees on: canonical encoding, the transaction envelope, the
block header, genesis, Merkle roots and the HTTP wire format. Depends on nothing else
in faechain."""
