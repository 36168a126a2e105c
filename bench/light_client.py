"""The CometBFT light client catching up: verifying height N from height 1.

    python bench/light_client.py [--heights 10000] [--repeat 3] [--no-sequential]

Synthetic chains of 4 Ed25519 validators (faechain.sdk.light.synthetic), signed as
CometBFT signs. The light blocks the client will ask for are made and serialised to
CometBFT's JSON before timing; the timed run parses them (as it would an RPC answer),
recomputes every hash and checks the signatures it needs, so what is measured is the
client's whole cost short of the network. Scenarios:

  stable      the validator set never changes: skipping reaches the head in one step
  rotating    one of the four validators is replaced every 100 heights
  replaced    the whole set is replaced every 1,000 heights: bisection has to find each
              hand-over and cross it header by header
  sequential  every height verified from its predecessor (for comparison)

The goal (issue 16): 10,000 heights with skipping verification in under 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Sequence

from faechain.sdk.light.cometbft import (
    LightBlock,
    light_block_from_json,
    light_block_to_json,
    verify_adjacent,
    verify_to,
)
from faechain.sdk.light.synthetic import Signer, SyntheticChain, private_key

GENESIS_NS = 1_790_000_000 * 1_000_000_000


def scenarios(heights: int) -> dict[str, Callable[[int], Sequence[Signer]]]:
    stable = [Signer(private_key(f"stable{i}"), 10) for i in range(4)]
    pool = [Signer(private_key(f"pool{i}"), 10) for i in range(heights // 100 + 4)]
    sets = [[Signer(private_key(f"set{k}-{i}"), 10) for i in range(4)] for k in range(heights // 1000 + 1)]
    return {
        "stable": lambda h: stable,
        "rotating": lambda h: pool[(h - 1) // 100:(h - 1) // 100 + 4],
        "replaced": lambda h: sets[(h - 1) // 1000],
    }


class Recorded:
    """A fetch that remembers which heights the client asked for."""

    def __init__(self, chain: SyntheticChain) -> None:
        self.chain = chain
        self.asked: list[int] = []

    def __call__(self, height: int) -> LightBlock:
        self.asked.append(height)
        return self.chain(height)


def skipping(name: str, signers_at: Callable[[int], Sequence[Signer]], heights: int, repeat: int) -> float:
    chain = SyntheticChain(f"bench-{name}", signers_at, genesis_time_ns=GENESIS_NS)
    now_ms = chain.header(heights).time_ms + 1_000
    recorded = Recorded(chain)
    verify_to(chain(1), heights, recorded, now_ms=now_ms)  # which blocks the client needs
    docs = {h: light_block_to_json(chain(h)) for h in {1, *recorded.asked}}
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        trusted = light_block_from_json(docs[1])
        block, trace = verify_to(trusted, heights, lambda h: light_block_from_json(docs[h]), now_ms=now_ms)
        best = min(best, time.perf_counter() - start)
    assert block.height == heights
    print(f"{name:<10} {heights:,} heights by skipping: {best * 1000:8.1f} ms, {len(recorded.asked):>4} light blocks "
          f"fetched, {len(trace) - 1:>4} verification steps")
    return best


def sequential(heights: int) -> float:
    keys = [Signer(private_key(f"stable{i}"), 10) for i in range(4)]
    chain = SyntheticChain("bench-sequential", lambda h: keys, genesis_time_ns=GENESIS_NS)
    docs = [light_block_to_json(chain(h)) for h in range(1, heights + 1)]
    now_ms = chain.header(heights).time_ms + 1_000
    start = time.perf_counter()
    verified = light_block_from_json(docs[0])
    for doc in docs[1:]:
        nxt = light_block_from_json(doc)
        verify_adjacent(verified, nxt, 7 * 86_400.0, now_ms)
        verified = nxt
    seconds = time.perf_counter() - start
    print(f"{'sequential':<10} {heights:,} heights one by one: {seconds * 1000:8.1f} ms "
          f"({seconds / (heights - 1) * 1e6:.0f} µs a height)")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--heights", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each skipping scenario (best is shown)")
    ap.add_argument("--no-sequential", action="store_true", help="skip the (slow) sequential comparison")
    args = ap.parse_args()
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    results = {name: skipping(name, at, args.heights, args.repeat) for name, at in scenarios(args.heights).items()}
    if not args.no_sequential:
        seq = sequential(args.heights)
        print(f"skipping (stable set) is {seq / results['stable']:.0f}× faster than sequential")
    worst = max(results.values())
    print(f"goal: {args.heights:,} heights by skipping in under 1 s: worst scenario {worst * 1000:.0f} ms — "
          f"{'met' if worst < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
