"""Property tests of every decoder of outside bytes (fuzz/targets.py), under hypothesis.

Each target is run on random bytes, on mutations of its well-formed seeds (the inputs
atheris starts from), and on structured inputs built from the value model (envelopes,
ABCI requests, JSON documents): whatever the input, the decoder answers with its
documented error or with a value that keeps the target's properties (canonical bytes,
same transaction, value model, ranges). A fixed example budget per test keeps the
suite to seconds; `--hypothesis-profile=thorough` runs 5,000 each.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faechain.core.encoding import INT_MAX, INT_MIN, encode
from faechain.core.tx import make_body, make_envelope
from faechain.engines.cometbft import proto
from fuzz import targets

pytestmark = pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
# a fixed example budget; any one input taking over 5 s (a hang, for these decoders) fails
BUDGET = settings(max_examples=120, deadline=5000, suppress_health_check=list(HealthCheck))
NAMES = sorted(targets.TARGETS)

ints = st.integers(INT_MIN, INT_MAX) | st.sampled_from([0, 23, 24, 255, 256, 2**32, INT_MAX, -1, -25, INT_MIN])
values = st.recursive(
    st.none() | st.booleans() | ints | st.text(max_size=20) | st.binary(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)


def mutants(name: str):
    """A seed of target `name` with a random mutation script applied."""
    return st.tuples(st.sampled_from(targets.seeds(name)), st.binary(min_size=3, max_size=48)).map(
        lambda p: targets.mutate(p[0], p[1]))


@pytest.mark.parametrize("name", NAMES)
def test_random_bytes(name):
    @BUDGET
    @given(st.binary(max_size=512))
    def run(data):
        targets.TARGETS[name](data)

    run()


@pytest.mark.parametrize("name", NAMES)
def test_mutated_seeds(name):
    @BUDGET
    @given(mutants(name))
    def run(data):
        targets.TARGETS[name](data)

    run()


@pytest.mark.parametrize("name", NAMES)
def test_every_seed_passes(name):
    for seed in targets.seeds(name):
        targets.TARGETS[name](seed)


@BUDGET
@given(values)
def test_canonical_values_round_trip(value):
    targets.cbor(encode(value))


body_fields = st.fixed_dictionaries({
    "chain": st.text(max_size=12), "signer": st.binary(min_size=32, max_size=32),
    "contract": st.text(max_size=64), "method": st.text(max_size=64),
    "args": st.dictionaries(st.text(max_size=8), values, max_size=5),
    "nonce": st.integers(0, INT_MAX), "expires": st.integers(0, INT_MAX)})


@BUDGET
@given(body_fields, st.binary(max_size=80), st.none() | st.binary(max_size=200), st.binary(max_size=24))
def test_envelopes_and_their_mutants(fields, signature, cert, script):
    raw = make_envelope(make_body(**fields), signature, cert)
    targets.envelope(raw)  # a well-formed envelope is accepted and re-encodes to itself
    targets.envelope(targets.mutate(raw, script))


@BUDGET
@given(st.binary(min_size=3, max_size=96))
def test_signed_envelope_mutants_are_refused_or_the_same_transaction(script):
    targets.signed_envelope(script)


request_kinds = st.sampled_from(sorted(proto.REQUEST_NAMES))
field_values = st.one_of(
    st.tuples(st.integers(1, 20), st.just(proto.VARINT), st.integers(0, 2**64 - 1)),
    st.tuples(st.integers(1, 20), st.just(proto.LEN), st.binary(max_size=64)),
)


def _encode_fields(items) -> bytes:
    out = b""
    for num, wt, v in items:
        out += proto.uvarint(num << 3 | wt) + (proto.uvarint(v) if wt == proto.VARINT else proto.uvarint(len(v)) + v)
    return out


@BUDGET
@given(st.lists(st.tuples(request_kinds, st.lists(field_values, max_size=6)), max_size=6), st.binary(max_size=8))
def test_abci_request_streams(requests, tail):
    stream = b"".join(proto.frame(proto.f_bytes(kind, _encode_fields(inner), always=True)) for kind, inner in requests)
    targets.abci(stream)
    targets.abci(stream + tail)  # an incomplete or bad frame after good ones


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@BUDGET
@given(st.integers(0, len(targets.BODY_ROUTES) - 1), json_values)
def test_json_bodies(route, doc):
    targets.api_body(bytes([route]) + json.dumps(doc).encode())
    targets.api_body(bytes([route]) + json.dumps({"tx": doc, "txs": [doc], "seconds": doc}).encode())


@BUDGET
@given(st.lists(st.text(max_size=60), max_size=8), st.lists(st.binary(max_size=80), max_size=4))
def test_batch_bodies(texts, raws):
    targets.api_body(bytes([2]) + json.dumps({"txs": texts + [base64.b64encode(r).decode() for r in raws]}).encode())
    targets.api_body(bytes([1]) + encode(raws))


@BUDGET
@given(st.lists(st.text(max_size=30) | st.integers().map(str) | st.just("9" * 30), min_size=1, max_size=28))
def test_query_parameters(fields):
    targets.api_params("\x00".join(fields).encode("utf-8", "surrogatepass"))
