"""One coded-error base: every error faechain raises is a `FaeError` with a stable `code`.

The rule is checked against the code itself: the test imports every module of the
package and looks at every exception class defined there, so a new error class that
forgets the base or its code fails here, wherever it lives. The other tests pin what
deriving from `FaeError` must not change: the second bases callers catch (`except
ValueError`), the messages, and the CLI's exit statuses.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import faechain
from faechain.api.errors import HttpError
from faechain.cli.common import EXIT_FAILED, EXIT_USAGE, CliError, UsageError
from faechain.core.encoding import EncodingError, decode
from faechain.core.errors import ENVELOPE_CODES, UNAUTHENTICATED_CODES, FaeError
from faechain.core.tx import TxError
from faechain.crypto.certs import CertificateError
from faechain.crypto.suite import SuiteError, get_suite
from faechain.ledger.integrity import MissingNode, StorageDamaged
from faechain.ledger.vault import VaultError
from faechain.sdk import ApiError

# Names that say "this is an error": such a class must be a FaeError.
ERROR_SUFFIXES = ("Error", "Damaged", "Failed", "Mismatch", "NotFound")


def faechain_modules() -> list[ModuleType]:
    """Every module of the package, imported."""
    names = [m.name for m in pkgutil.walk_packages(faechain.__path__, "faechain.")]
    return [importlib.import_module(name) for name in ["faechain", *names]]


def exception_classes() -> list[type[BaseException]]:
    """Every public exception class defined (not merely imported) in faechain."""
    found: list[type[BaseException]] = []
    for module in faechain_modules():
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == module.__name__
                    and not name.startswith("_")):
                found.append(obj)
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def label(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def has_own_code(cls: type[FaeError]) -> bool:
    """The class (or a base below FaeError) fixes `code`, or every instance is given one."""
    fixed = any("code" in vars(base) for base in cls.__mro__ if base is not FaeError and issubclass(base, FaeError))
    per_instance = "code" in inspect.signature(cls.__init__).parameters
    if per_instance:
        return True
    return fixed and isinstance(cls.code, str) and bool(cls.code)


def test_the_walk_finds_the_errors_of_every_layer() -> None:
    names = {cls.__name__ for cls in exception_classes()}
    assert {"EncodingError", "CertificateError", "StorageDamaged", "ContractError", "HttpError", "ApiError",
            "CliError"} <= names


# Modules that must not import faechain at all, so cannot derive from FaeError: the
# standalone evidence verifier is one file a court or regulator runs with only the standard
# library and `cryptography` (tests/sdk/test_evidence_vectors.py checks its imports).
STANDALONE = {"faechain.sdk.evidence_standalone"}


def test_every_error_derives_from_fae_error() -> None:
    errors = [cls for cls in exception_classes()
              if cls.__name__.endswith(ERROR_SUFFIXES) and cls.__module__ not in STANDALONE]
    offenders = [label(cls) for cls in errors if not issubclass(cls, FaeError)]
    assert not offenders, f"derive these from faechain.core.errors.FaeError: {offenders}"


def test_every_fae_error_has_a_code() -> None:
    fae_errors = [cls for cls in exception_classes() if issubclass(cls, FaeError) and cls is not FaeError]
    offenders = [label(cls) for cls in fae_errors if not has_own_code(cls)]
    assert not offenders, f"give these a `code` (a class attribute, or a constructor argument): {offenders}"


# -- what the base must not change --------------------------------------------------------------
def test_fae_error_carries_code_and_message() -> None:
    exc = FaeError("too many", code="limit_exceeded")
    assert (exc.code, exc.message, str(exc)) == ("limit_exceeded", "too many", "too many")
    assert FaeError("plain").code == "error"


def test_second_bases_still_catch() -> None:
    with pytest.raises(ValueError) as info:
        decode(b"\xf9\x3c\x00")  # a half-precision float: not in the value model
    assert isinstance(info.value, EncodingError) and info.value.code == "bad_encoding"
    assert issubclass(CertificateError, ValueError) and CertificateError("x").code == "bad_certificate"
    assert issubclass(TxError, ValueError)
    assert issubclass(StorageDamaged, RuntimeError) and issubclass(MissingNode, KeyError)


def test_codes_given_per_instance() -> None:
    tx = TxError("too_large", "the transaction exceeds 65536 bytes")
    assert (tx.code, tx.message, str(tx)) == ("too_large", "the transaction exceeds 65536 bytes", tx.message)
    assert tx.code in ENVELOPE_CODES
    with pytest.raises(SuiteError) as info:
        get_suite("rot13")
    assert info.value.code == "unknown_suite"
    http = HttpError("not_found", "no block at height 9", extra_field=1)
    assert (http.status, http.body()) == (404, {"code": "not_found", "message": "no block at height 9",
                                                "extra_field": 1})


def test_messages_keep_their_shape() -> None:
    assert str(VaultError("not_in_vault", "no such document")) == "not_in_vault: no such document"
    assert VaultError("not_in_vault", "no such document").message == "no such document"
    sdk = ApiError("unauthenticated", "sign the read", 401)
    assert (sdk.code, sdk.message, sdk.status) == ("unauthenticated", "sign the read", 401)
    assert str(sdk) == "unauthenticated: sign the read (HTTP 401)"
    assert str(ApiError("timeout", "no block")) == "timeout: no block"


def test_storage_damaged_message_follows_its_recovery() -> None:
    exc = StorageDamaged("blocks", "height 7", "its hash differs", height=7)
    assert exc.code == "storage_damaged" and str(exc) == exc.message
    assert exc.message.startswith("damaged storage: blocks height 7: its hash differs. ")
    exc.with_recovery("restore the backup")
    assert exc.recovery == "restore the backup"
    assert str(exc) == exc.message == "damaged storage: blocks height 7: its hash differs. restore the backup"
    missing = MissingNode(b"\x01" * 32)
    assert missing.code == "storage_damaged" and "missing from the node store" in str(missing)


def test_cli_errors_keep_their_exit_statuses() -> None:
    failed, usage = CliError("the node is unreachable"), UsageError("--ref and --org exclude each other")
    assert (failed.exit_status, failed.code, failed.message) == (EXIT_FAILED, "command_failed",
                                                                 "the node is unreachable")
    assert (usage.exit_status, usage.code) == (EXIT_USAGE, "bad_usage")
    assert CliError("custom", 3).exit_status == 3


def test_no_contract_refusal_wears_an_authentication_code() -> None:
    """A receipt's code alone says whether the signer was authenticated (`fae verify`
    expects a replay-guard row exactly for the others); a contract refuses only after
    authentication, so none of its codes may be one of those."""
    from faechain.contracts.errors import ContractError

    contract_errors = [cls for cls in exception_classes() if issubclass(cls, ContractError)]
    assert len(contract_errors) >= 9
    clashing = {label(cls): cls.code for cls in contract_errors if cls.code in UNAUTHENTICATED_CODES}
    assert not clashing, f"these contract errors use an envelope code: {clashing}"
