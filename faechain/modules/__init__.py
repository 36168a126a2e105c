"""Business modules. Importing this package registers every module's contract."""

from faechain.modules import plans, receivables  # noqa: F401
