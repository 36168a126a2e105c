"""Membership: the consortium's organisations, their CAs, members and revocations."""

from faechain.modules.membership.contract import Membership

__all__ = ["Membership"]
