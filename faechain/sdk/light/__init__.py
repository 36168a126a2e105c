"""Light clients: block headers trusted by signatures, not by the node that served them.

    solo       `verify_solo`: a solo chain's header, signed by the block signer its genesis
               declares (the member's own copy of genesis, never the node's answer)
    cometbft   a CometBFT network's headers, by its validators' signatures, as CometBFT's
               own light client checks them: adjacent and skipping verification,
               bisection (`verify_to`), the trusting period; `trusted_header` turns a
               verified header h+1 into faechain block h's app hash
      records    CometBFT's block records and their hashes (Header, Commit, ValidatorSet, ...)
      rpcjson    those records from and to the JSON CometBFT's RPC serves
      proto      the protobuf encodings CometBFT hashes and signs
      rpc        `CometRpc`: light blocks straight from a node's CometBFT RPC
      synthetic  signed chains from keys you hold (tests, benchmarks; never needed to verify)

Each check returns a `faechain.sdk.trust.TrustedHeader` (or the verified records), or
raises `faechain.sdk.trust.VerificationError` naming what failed.
"""
