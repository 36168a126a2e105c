def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "localnet: multi-process tests of a 4-validator CometBFT network (need the cometbft binary: "
        "scripts/install-cometbft.sh); select with -m localnet, skip with -m 'not localnet'",
    )
