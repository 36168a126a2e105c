"""The state machine behind the one boundary (ABCI-shaped): admission, block
execution, persistence and queries over the authenticated state (`application.py`
lists the module of each job), and `engine.Engine`, what drives it."""
