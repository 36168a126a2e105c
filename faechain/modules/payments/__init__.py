"""The payment leg: members' accounts on the payment rails, clearing instructions, e-CNY conditional payments."""

from faechain.modules.payments.contract import Payments

__all__ = ["Payments"]
