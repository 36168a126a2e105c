"""The payments tests use the demo chain of tests/modules/conftest.py."""

from tests.modules.conftest import DAY, DemoChain, open_demo_chain  # noqa: F401
