// The one error every header check in the browser throws (light.js, cometbft.js, genesis.js),
// mirroring faechain.sdk.trust.VerificationError: a message naming what failed (which height,
// which key, what differs) and a code saying which kind of failure it is:
//   bad_header   a header, commit or validator set does not check out
//   untrusted    the trusted starting point cannot vouch for it (expired, too few of its
//                validators signed, before it), or nothing here can check it (SM2)
//   unavailable  the node has no signed header for that height yet
//   genesis      the node's genesis is not the one pinned in this browser
//   stale        a verified answer is older than the freshness bound allows (trust.js)
//   diverged     the witness serves another header at the same height, backed by the same
//                signatures: an attack (or a fork); `evidence` holds both
export class LightError extends Error {
  constructor(message, code = "bad_header") {
    super(message);
    this.name = "LightError";
    this.code = code;
  }
}

// too little of the trusted validators' power signed a far header to trust it directly;
// bisection answers it by verifying a header in between first (CometBFT's ErrNewValSetCantBeTrusted)
export class NotEnoughTrust extends LightError {
  constructor(message) {
    super(message, "untrusted");
    this.name = "NotEnoughTrust";
  }
}

export const badHeader = (message) => new LightError(message, "bad_header");
