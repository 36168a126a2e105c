#!/usr/bin/env bash
# Install the pinned CometBFT (the consensus engine of `fae localnet` and of the
# multi-process tests) with `go install`. A no-op when that version is already
# where faechain looks for it: $FAE_COMETBFT, then $(go env GOPATH)/bin, then PATH.
set -euo pipefail
VERSION=0.38.26

found=""
if [ -n "${FAE_COMETBFT:-}" ]; then
  found="$FAE_COMETBFT"
elif command -v go >/dev/null 2>&1 && [ -x "$(go env GOPATH | cut -d: -f1)/bin/cometbft" ]; then
  found="$(go env GOPATH | cut -d: -f1)/bin/cometbft"
elif [ -x "$HOME/go/bin/cometbft" ]; then
  found="$HOME/go/bin/cometbft"
elif command -v cometbft >/dev/null 2>&1; then
  found="$(command -v cometbft)"
fi
if [ -n "$found" ] && [ "$("$found" version 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-cometbft.sh: Go is needed to install CometBFT v$VERSION (https://go.dev/dl/)" >&2
  exit 1
fi
echo "installing CometBFT v$VERSION with go install (about a minute) ..." >&2
go install "github.com/cometbft/cometbft/cmd/cometbft@v$VERSION"
bin="$(go env GOPATH | cut -d: -f1)/bin/cometbft"
got="$("$bin" version)"
if [ "$got" != "$VERSION" ]; then
  echo "install-cometbft.sh: $bin reports version $got, expected $VERSION" >&2
  exit 1
fi
if [ -n "${FAE_COMETBFT:-}" ] && [ "$FAE_COMETBFT" != "$bin" ]; then
  mkdir -p "$(dirname "$FAE_COMETBFT")"
  cp "$bin" "$FAE_COMETBFT"
fi
echo "cometbft $got: $bin" >&2
