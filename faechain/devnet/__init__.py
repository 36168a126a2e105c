"""Development networks on one machine: the demo consortium, its sample business and
the CometBFT localnet supervisor. Nothing below the CLI imports it."""
