"""Business modules. Importing this package registers every module's contract."""

from faechain.modules import receivables  # noqa: F401
