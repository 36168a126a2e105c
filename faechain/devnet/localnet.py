"""A CometBFT network of N validators on this machine: what `fae localnet` runs.

    <home>/localnet.json          the network: chain id, ports, node ids, validator keys
    <home>/genesis.json           faechain's genesis (members, validators), shared by all
    <home>/config.json            a copy of node 0's config: `fae ... --home <home>` talks to node 0
    <home>/wallet/<name>/         the demo consortium's 22 member identities
    <home>/ca/<name>/             their organisation CAs
    <home>/node<i>/               faechain node home of validator i (config.json, genesis.json, data/,
                                  vault/); its config names the other nodes' APIs as `vault_peers`,
                                  so a document uploaded at one node can be read through any;
                                  wallet/<name>/ holds its operating member's identity (the console
                                  signs in as it)
    <home>/node<i>/cometbft/      its CometBFT home (config/config.toml, genesis.json, keys, data/)
                                  (`Localnet.add_node()` adds a further full node the same way; it
                                  becomes a validator by a governance vote)
    <home>/member-<name>/         a member node (faechain.member; `create(..., members=N)`, `fae localnet
                                  up --members N`, `Localnet.add_member()`) of an organisation that runs
                                  no validator: genesis.json, wallet/<name>/ (the organisation's identity
                                  it signs its reads as), config.json (engine "member", following every
                                  node's API, its own turn first), data/ (its organisation's view only)
    <home>/run/node<i>.{fae,cometbft}.pid, <home>/run/member-<name>.fae.pid
    <home>/logs/node<i>.{fae,cometbft}.log, <home>/logs/member-<name>.fae.log

One organisation per validator (`VALIDATOR_ORDER`): validator i is operated by
that member, its key is in faechain's genesis (`validators`, with the org id)
and the same genesis travels as CometBFT's `app_state`, so InitChain can check
that membership and validator set come from one document.

Ports, all on 127.0.0.1, for validator i: base + 10 i + (0 API, 1 P2P, 2 RPC, 3 ABCI); for
member node j (the j-th in `members`): its API on base + 10 j + 5, in a place no node added
later takes.

A process is named by a key: a node's index (`pid(2, "cometbft")`) or a member node's
organisation name (`pid("bank2", "fae")`; a member node runs only a "fae" process).

Processes run in the background (new session, pid files, logs), so `up`
returns; `up` on an existing network starts whatever is not running (a
faechain node first, then its CometBFT, which CometBFT needs: it refuses to
run without its application and stops itself when it loses it), and the member nodes
after them (they follow the nodes' APIs).

Why one file (over 500 lines): the network's layout, its CometBFT settings and the
process supervisor change together whenever the network's shape does.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

from faechain.core.errors import FaeError
from faechain.engines.cometbft import COMETBFT_VERSION, cometbft_version, find_cometbft
from faechain.engines.cometbft.rpc import RpcClient, RpcError

LOCALNET_FILE = "localnet.json"
DEFAULT_BASE_PORT = 26600
DEFAULT_CHAIN_ID = "fae-localnet"
PORTS = {"api": 0, "p2p": 1, "rpc": 2, "abci": 3}
# Who runs validator i: the market operator, the regulator, the banks, the registrar, ...
VALIDATOR_ORDER = ("exchange", "regulator", "bank", "registrar", "bank2", "factor", "core", "amc",
                   "underwriter", "rating", "core2", "lawfirm", "supplier1", "supplier2", "supplier3",
                   "investor1", "investor2", "investor3", "investor4", "registry", "taxservice", "ecny")
VALIDATOR_POWER = 10
# Which organisations run a member node, in order (those that operate a node are passed over): a
# supplier, a bank and an individual investor first, then the rest of the demo consortium
MEMBER_ORDER = ("supplier3", "bank2", "investor4", "investor1", "factor", "supplier1", "investor2", "core", "amc",
                "rating", "underwriter", "lawfirm", "supplier2", "core2", "investor3", "registrar", "bank",
                "regulator", "exchange", "registry", "taxservice", "ecny")
MEMBER_API_OFFSET = 5  # member node j's API port: base + 10 j + 5

# CometBFT settings for a responsive network on one machine (see BENCHMARKS.md for
# the measurements behind them). Keys are "section.key" in config.toml ("" = top).
TUNING: dict[str, Any] = {
    "log_level": "info",
    "consensus.timeout_propose": "1s",
    "consensus.timeout_propose_delta": "200ms",
    "consensus.timeout_prevote": "500ms",
    "consensus.timeout_prevote_delta": "200ms",
    "consensus.timeout_precommit": "500ms",
    "consensus.timeout_precommit_delta": "200ms",
    "consensus.timeout_commit": "300ms",
    "consensus.create_empty_blocks": True,
    "consensus.create_empty_blocks_interval": "3s",
    "consensus.peer_gossip_sleep_duration": "10ms",
    "p2p.flush_throttle_timeout": "10ms",
    "p2p.send_rate": 51200000,
    "p2p.recv_rate": 51200000,
    "p2p.addr_book_strict": False,
    "p2p.allow_duplicate_ip": True,
    "p2p.pex": False,
    "mempool.size": 50000,
    "mempool.cache_size": 100000,
    "rpc.max_request_batch_size": 1000,
    "rpc.max_body_bytes": 10000000,
    "tx_index.indexer": "null",
}
MAX_BLOCK_TXS = 2000
MAX_BLOCK_BYTES = 4 * 1024 * 1024


class LocalnetError(FaeError):
    """A local network cannot be created, started or changed as asked (the message says why)."""

    code = "localnet_failed"


@dataclass
class NodeSpec:
    index: int
    name: str  # the operating member (wallet name)
    org_id: str
    api: int
    p2p: int
    rpc: int
    abci: int
    node_id: str = ""
    address: str = ""  # validator address (hex)
    pub_key: str = ""  # validator ed25519 key (base64)

    @property
    def label(self) -> str:
        return f"node{self.index}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api}"

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.rpc}"


@dataclass
class MemberSpec:
    """A member node of the network (faechain.member): it follows the nodes, keeps `name`'s view."""

    name: str  # the organisation's demo name: its wallet identity, which the node signs its reads as
    org_id: str
    api: int
    validators: list[str] = field(default_factory=list)  # the API URLs it follows, in the order it tries them

    @property
    def label(self) -> str:
        return f"member-{self.name}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api}"


def member_port(base_port: int, j: int) -> int:
    """The API port of the network's j-th member node."""
    return base_port + 10 * j + MEMBER_API_OFFSET


Key = int | str  # a node's index, or a member node's organisation name


@dataclass
class Localnet:
    home: str
    chain_id: str
    base_port: int
    nodes: list[NodeSpec] = field(default_factory=list)
    cometbft: str = ""  # binary used to create it (re-resolved on start)
    members: list[MemberSpec] = field(default_factory=list)

    # -- paths ---------------------------------------------------------------------------
    def node_home(self, i: int) -> str:
        return os.path.join(self.home, f"node{i}")

    def cmt_home(self, i: int) -> str:
        return os.path.join(self.home, f"node{i}", "cometbft")

    def member_home(self, name: str) -> str:
        return os.path.join(self.home, f"member-{name}")

    def member(self, name: str) -> MemberSpec:
        """The member node of organisation `name`."""
        for m in self.members:
            if m.name == name:
                return m
        raise LocalnetError(f"no member node of {name} (the network has "
                            f"{', '.join(m.name for m in self.members) or 'none'})")

    def label(self, i: Key) -> str:
        """`node<i>`, or `member-<name>` for a member node."""
        return f"member-{i}" if isinstance(i, str) else f"node{i}"

    def home_of(self, i: Key, kind: str = "fae") -> str:
        """The directory a process runs in (and names on its command line)."""
        if isinstance(i, str):
            return self.member_home(i)
        return self.cmt_home(i) if kind == "cometbft" else self.node_home(i)

    def pid_file(self, i: Key, kind: str) -> str:
        return os.path.join(self.home, "run", f"{self.label(i)}.{kind}.pid")

    def log_file(self, i: Key, kind: str) -> str:
        return os.path.join(self.home, "logs", f"{self.label(i)}.{kind}.log")

    def vault_peers(self, i: int) -> list[str]:
        """Node i's `vault_peers`: the API URLs of every other node of the network."""
        return [n.api_url for n in self.nodes if n.index != i]

    def ensure_vault_peers(self, which: list[int] | None = None) -> list[int]:
        """Give a node whose config.json has no `vault_peers` at all (a network created before
        documents were fetched from peers) the other nodes; returns the nodes updated. A
        setting that is there, even an empty list, is the operator's and left alone."""
        from faechain.node.config import NodeConfig

        updated = []
        for i in (range(len(self.nodes)) if which is None else which):
            home = self.node_home(i)
            with open(os.path.join(home, "config.json")) as f:
                if "vault_peers" in json.load(f):
                    continue
            cfg = NodeConfig.load(home)
            cfg.vault_peers = self.vault_peers(i)
            cfg.save(home)
            updated.append(i)
        return updated

    def add_node(self, name: str | None = None, *, tuning: dict | None = None) -> NodeSpec:
        """Add a full node to the network (not a validator): node i = len(nodes), operated by
        member `name` (default: the next organisation in VALIDATOR_ORDER without a node).

        It gets its own CometBFT keys, the network's CometBFT genesis, the next block of
        ports, every existing node as a persistent peer (it dials them; they accept it) and
        them as vault peers; it block-syncs from them once started (`start([i])`). It
        becomes a validator only by a governance vote (`set_validator` with its `pub_key`,
        base64 here; hex in the proposal). Existing nodes' configs are left as they are.
        """
        from faechain.core.genesis import Genesis
        from faechain.devnet.demo import MEMBERS
        from faechain.node.config import NodeConfig, paths

        taken = {n.name for n in self.nodes}
        if name is None:
            name = next((m for m in VALIDATOR_ORDER if m not in taken), None)
            if name is None:
                raise LocalnetError("every member organisation already runs a node")
        elif name in taken:
            raise LocalnetError(f"{name} already runs a node")
        genesis = Genesis.load(paths(self.home)["genesis"])
        org_of = {m.name: o["id"] for m, o in zip(MEMBERS, genesis.orgs, strict=False)}
        if name not in org_of:
            raise LocalnetError(f"{name} is not a member of this network")
        i = len(self.nodes)
        ports = {k: self.base_port + 10 * i + off for k, off in PORTS.items()}
        spec = NodeSpec(i, name, org_of[name], api=ports["api"], p2p=ports["p2p"], rpc=ports["rpc"], abci=ports["abci"])
        _check_ports_free(list(ports.values()), f"node{i}")
        binary = find_cometbft()
        h = self.cmt_home(i)
        os.makedirs(h, exist_ok=True)
        try:
            out = subprocess.run([binary, "init", "--home", h], capture_output=True, text=True, timeout=60)
            if out.returncode != 0:
                raise LocalnetError(f"cometbft init failed: {out.stderr.strip() or out.stdout.strip()}")
            with open(os.path.join(h, "config", "priv_validator_key.json")) as f:
                key = json.load(f)
            spec.address, spec.pub_key = key["address"], key["pub_key"]["value"]
            spec.node_id = node_id(os.path.join(h, "config", "node_key.json"))
            # the network's genesis, not the one `cometbft init` wrote
            shutil.copyfile(os.path.join(self.cmt_home(0), "config", "genesis.json"),
                            os.path.join(h, "config", "genesis.json"))
            settings = {
                **TUNING, **(tuning or {}),
                "proxy_app": f"tcp://127.0.0.1:{spec.abci}",
                "moniker": spec.name,
                "rpc.laddr": f"tcp://127.0.0.1:{spec.rpc}",
                "p2p.laddr": f"tcp://127.0.0.1:{spec.p2p}",
                "p2p.persistent_peers": ",".join(f"{m.node_id}@127.0.0.1:{m.p2p}" for m in self.nodes),
            }
            path = os.path.join(h, "config", "config.toml")
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(set_toml(text, settings))
            node_home = self.node_home(i)
            shutil.copyfile(paths(self.home)["genesis"], paths(node_home)["genesis"])
            model = NodeConfig.load(self.node_home(0))  # the same engine settings as the others
            cfg = NodeConfig(engine="cometbft", port=spec.api, anonymous_reads=model.anonymous_reads,
                             verify_workers=model.verify_workers, vault_peers=[m.api_url for m in self.nodes],
                             abci={**model.abci, "listen": f"tcp://127.0.0.1:{spec.abci}", "rpc": spec.rpc_url})
            cfg.save(node_home)
        except BaseException:
            shutil.rmtree(self.node_home(i), ignore_errors=True)
            raise
        self.nodes.append(spec)
        self.save()
        return spec

    def add_member(self, name: str | None = None) -> MemberSpec:
        """Add a member node (faechain.member) of organisation `name` (default: the next in
        MEMBER_ORDER that runs neither a node nor a member node); start it with
        `start(members=[name])`.

        Its home `member-<name>/` gets the network's genesis, the organisation's identity from the
        network's wallet and a config with engine "member" following every node's API, beginning
        with node j mod N (j: its place among the member nodes), so that their reads spread over
        the nodes; its API port is base + 10 j + 5.
        """
        from faechain.core.genesis import Genesis
        from faechain.devnet.demo import MEMBERS
        from faechain.node.config import NodeConfig, paths

        if not self.nodes:
            raise LocalnetError("a member node follows the network's nodes: this network has none")
        operators = {n.name: n for n in self.nodes}
        followers = {m.name for m in self.members}
        if name is None:
            name = next((m for m in MEMBER_ORDER if m not in operators and m not in followers), None)
            if name is None:
                raise LocalnetError("every member organisation already runs a node or a member node")
        elif name in operators:
            raise LocalnetError(f"{name} operates {operators[name].label}, which holds the whole chain: it needs no "
                                "member node")
        elif name in followers:
            raise LocalnetError(f"{name} already runs a member node")
        genesis = Genesis.load(paths(self.home)["genesis"])
        org_of = {m.name: o["id"] for m, o in zip(MEMBERS, genesis.orgs, strict=False)}
        if name not in org_of or not os.path.isdir(os.path.join(paths(self.home)["wallet"], name)):
            raise LocalnetError(f"{name} is not a member of this network with an identity in its wallet")
        j = len(self.members)
        spec = MemberSpec(name, org_of[name], member_port(self.base_port, j))
        urls = [n.api_url for n in self.nodes]
        spec.validators = urls[j % len(urls):] + urls[:j % len(urls)]
        _check_ports_free([spec.api], spec.label)
        home = self.member_home(name)
        if os.path.exists(home):
            raise LocalnetError(f"{home} exists already")
        try:
            os.makedirs(paths(home)["wallet"])
            shutil.copyfile(paths(self.home)["genesis"], paths(home)["genesis"])
            shutil.copytree(os.path.join(paths(self.home)["wallet"], name), os.path.join(paths(home)["wallet"], name))
            model = NodeConfig.load(self.node_home(0))
            NodeConfig(engine="member", port=spec.api, anonymous_reads=model.anonymous_reads, verify_workers=0,
                       member={"org": spec.org_id, "identity": name, "validators": list(spec.validators)}).save(home)
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            raise
        self.members.append(spec)
        self.save()
        return spec

    def save(self) -> None:
        data: dict[str, Any] = {"chain_id": self.chain_id, "base_port": self.base_port, "cometbft": self.cometbft,
                                "validators": len(self.nodes), "nodes": [asdict(n) for n in self.nodes]}
        if self.members:
            data["members"] = [asdict(m) for m in self.members]
        with open(os.path.join(self.home, LOCALNET_FILE), "w") as f:
            json.dump(data, f, indent=2)

    @classmethod
    def load(cls, home: str) -> Localnet:
        home = os.path.abspath(os.path.expanduser(home))
        path = os.path.join(home, LOCALNET_FILE)
        if not os.path.exists(path):
            raise LocalnetError(f"no localnet in {home} (create one with `fae localnet up --home {home}`)")
        with open(path) as f:
            data = json.load(f)
        return cls(home, data["chain_id"], data["base_port"], [NodeSpec(**n) for n in data["nodes"]],
                   data.get("cometbft", ""), [MemberSpec(**m) for m in data.get("members", [])])

    # -- processes ---------------------------------------------------------------------------
    def pid(self, i: Key, kind: str) -> int | None:
        """The pid of node i's `fae` or `cometbft` process (or member node i's `fae` process:
        i its organisation's name) if it is running, else None."""
        try:
            with open(self.pid_file(i, kind)) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid, self.home_of(i, kind)) else None

    def running(self, i: int) -> dict[str, int | None]:
        return {"fae": self.pid(i, "fae"), "cometbft": self.pid(i, "cometbft")}

    def _selection(self, which: list[int] | None, members: list[str] | None) -> tuple[list[int], list[str]]:
        """The nodes and member nodes a call is about: all of both when it names neither."""
        if which is None and members is None:
            return list(range(len(self.nodes))), [m.name for m in self.members]
        names = list(members or [])
        for name in names:
            self.member(name)  # raises for one the network does not have
        return list(which or []), names

    def start(self, which: list[int] | None = None, *, env: dict[str, str] | None = None,
              timeout: float = 90.0, wait_block: bool = True, members: list[str] | None = None) -> None:
        """Start every stopped process of the given nodes and member nodes (`members`: their
        organisations' names) — all of both when neither is given — and wait until they serve;
        with `wait_block`, until the network made a block and each member node started kept one."""
        idx, names = self._selection(which, members)
        os.makedirs(os.path.join(self.home, "run"), exist_ok=True)
        os.makedirs(os.path.join(self.home, "logs"), exist_ok=True)
        binary = find_cometbft() if idx else ""
        # a CometBFT whose application is gone is about to stop itself: let it, then start both
        for i in idx:
            if self.pid(i, "fae") is None and self.pid(i, "cometbft") is not None:
                self._stop_process(i, "cometbft", 15.0)
        log_level = os.environ.get("FAE_LOG_LEVEL", "INFO")
        started_fae = []
        for i in idx:
            if self.pid(i, "fae") is None:
                self.ensure_vault_peers([i])
                _check_ports_free([self.nodes[i].api, self.nodes[i].abci], f"node{i}'s faechain node")
                self._spawn(i, "fae", [sys.executable, "-m", "faechain", "node", "start",
                                       "--home", self.node_home(i), "--log-level", log_level], env)
                started_fae.append(i)
        deadline = time.monotonic() + timeout
        for i in started_fae:  # its API serves before its CometBFT runs (/healthz says 503 until then)
            self._wait(lambda i=i: _http_ok(self.nodes[i].api_url + "/v1/info"), deadline,
                       f"node{i}'s faechain node did not serve its API", i, "fae")
        started_cmt = []
        for i in idx:
            if self.pid(i, "cometbft") is None:
                self._spawn(i, "cometbft", [binary, "node", "--home", self.cmt_home(i)], None)
                started_cmt.append(i)
        for i in started_cmt:
            self._wait(lambda i=i: _rpc_ok(self.nodes[i].rpc_url), deadline,
                       f"node{i}'s CometBFT did not serve its RPC", i, "cometbft")
        if wait_block and started_cmt:
            first = idx[0]
            self._wait(lambda: _api_height(self.nodes[first].api_url) >= 1, deadline,
                       "the network made no block", first, "cometbft")
        # member nodes last: they follow the nodes' APIs
        started_members = []
        for name in names:
            if self.pid(name, "fae") is None:
                spec = self.member(name)
                _check_ports_free([spec.api], f"{spec.label}'s faechain node")
                self._spawn(name, "fae", [sys.executable, "-m", "faechain", "node", "start",
                                          "--home", self.member_home(name), "--log-level", log_level], env)
                started_members.append(spec)
        for spec in started_members:
            self._wait(lambda spec=spec: _http_ok(spec.api_url + "/v1/info"), deadline,
                       f"{spec.label} did not serve its API", spec.name, "fae")
        if wait_block:
            for spec in started_members:
                self._wait(lambda spec=spec: _api_height(spec.api_url) >= 1, deadline,
                           f"{spec.label} kept no block", spec.name, "fae")

    def _spawn(self, i: Key, kind: str, argv: list[str], env: dict[str, str] | None) -> None:
        log_path = self.log_file(i, kind)
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        if kind == "cometbft" or isinstance(i, str):  # a fault to inject is for a node's application
            full_env.pop("FAE_ABCI_FAULT", None)
        with open(log_path, "ab") as logf:
            logf.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {' '.join(argv)}\n".encode())
            logf.flush()
            proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=full_env, start_new_session=True, cwd=self.home_of(i, "fae"))
        _CHILDREN[proc.pid] = proc
        with open(self.pid_file(i, kind), "w") as f:
            f.write(str(proc.pid))

    def _wait(self, ready, deadline: float, what: str, i: Key, kind: str) -> None:
        while True:
            if ready():
                return
            if self.pid(i, kind) is None:
                raise LocalnetError(f"{what}: the process exited; see {self.log_file(i, kind)}\n"
                                    + _tail(self.log_file(i, kind)))
            if time.monotonic() > deadline:
                raise LocalnetError(f"{what} in time; see {self.log_file(i, kind)}\n" + _tail(self.log_file(i, kind)))
            time.sleep(0.2)

    def stop(self, which: list[int] | None = None, timeout: float = 20.0, *,
             members: list[str] | None = None) -> list[str]:
        """Stop the given nodes and member nodes (all of both when neither is given): member
        nodes first, then CometBFT, then faechain. Returns what was stopped."""
        idx, names = self._selection(which, members)
        stopped = self._terminate([(name, "fae") for name in names], timeout)
        for kind in ("cometbft", "fae"):
            stopped += self._terminate([(i, kind) for i in idx], timeout)
        return stopped

    def _terminate(self, procs: list[tuple[Key, str]], timeout: float) -> list[str]:
        """SIGTERM the running ones of `procs` together, SIGKILL those still alive after `timeout`."""
        pids = {(i, kind): self.pid(i, kind) for i, kind in procs}
        for pid in pids.values():
            if pid is not None:
                _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        stopped = []
        for (i, kind), pid in pids.items():
            if pid is None:
                self._remove_pid(i, kind)
                continue
            marker = self.home_of(i, kind)
            while _alive(pid, marker) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid, marker):
                _signal(pid, signal.SIGKILL)
                while _alive(pid, marker) and time.monotonic() < deadline + 5:
                    time.sleep(0.05)
            self._remove_pid(i, kind)
            stopped.append(f"{self.label(i)}.{kind}")
        return stopped

    def _stop_process(self, i: Key, kind: str, timeout: float) -> None:
        pid = self.pid(i, kind)
        if pid is None:
            return
        marker = self.home_of(i, kind)
        _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid, marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid, marker):
            _signal(pid, signal.SIGKILL)
        self._remove_pid(i, kind)

    def kill(self, i: Key, kind: str = "fae") -> int:
        """SIGKILL node i's process, or member node i's (i its organisation's name), for fault
        tests; returns the pid."""
        pid = self.pid(i, kind)
        if pid is None:
            raise LocalnetError(f"{self.label(i)}'s {kind} process is not running")
        _signal(pid, signal.SIGKILL)
        marker = self.home_of(i, kind)
        deadline = time.monotonic() + 10
        while _alive(pid, marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pid

    def _remove_pid(self, i: Key, kind: str) -> None:
        try:
            os.unlink(self.pid_file(i, kind))
        except FileNotFoundError:
            pass

    # -- status ----------------------------------------------------------------------------------
    def status(self) -> list[dict]:
        """One row per node (kind "validator"), then one per member node (kind "member": no
        CometBFT of its own; `validators` are the APIs it follows, in order)."""
        out = []
        for n in self.nodes:
            running = self.running(n.index)
            row: dict[str, Any] = {"node": n.label, "kind": "validator", "member": n.name, "org_id": n.org_id,
                                   "api": n.api_url, "rpc": n.rpc_url, "fae_pid": running["fae"],
                                   "cometbft_pid": running["cometbft"], "height": None, "app_hash": None,
                                   "cometbft_height": None, "peers": None, "catching_up": None}
            if running["fae"]:
                info = _get_json(n.api_url + "/v1/info")
                if info:
                    row["height"], row["app_hash"] = info["height"], info["app_hash"]
            if running["cometbft"]:
                rpc = RpcClient(n.rpc_url, timeout=3)
                try:
                    st = rpc.status()
                    row["cometbft_height"] = int(st["sync_info"]["latest_block_height"])
                    row["catching_up"] = bool(st["sync_info"]["catching_up"])
                    row["peers"] = int(rpc.call("net_info")["n_peers"])
                except (RpcError, KeyError, ValueError):
                    pass
                finally:
                    rpc.close()
            out.append(row)
        for m in self.members:
            pid = self.pid(m.name, "fae")
            row = {"node": m.label, "kind": "member", "member": m.name, "org_id": m.org_id, "api": m.api_url,
                   "rpc": None, "fae_pid": pid, "cometbft_pid": None, "height": None, "app_hash": None,
                   "cometbft_height": None, "peers": None, "catching_up": None, "validators": list(m.validators)}
            if pid:
                info = _get_json(m.api_url + "/v1/info")
                if info:
                    row["height"], row["app_hash"] = info["height"], info["app_hash"]
            out.append(row)
        return out


_CHILDREN: dict[int, subprocess.Popen] = {}


def _alive(pid: int, marker: str) -> bool:
    """Is `pid` a live (not zombie) process whose command line mentions `marker`?"""
    proc = _CHILDREN.get(pid)
    if proc is not None:  # our own child: ask it (and reap it once it exited)
        if proc.poll() is None:
            return True
        _CHILDREN.pop(pid, None)
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
        if not cmdline:  # a zombie, or a process between fork and exec
            with open(f"/proc/{pid}/stat", "rb") as f:
                return f.read().rpartition(b")")[2].split()[0] != b"Z"
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False
    return marker.encode() in cmdline


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _tail(path: str, lines: int = 25) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 8000))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _get_json(url: str, timeout: float = 3.0) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _rpc_ok(url: str) -> bool:
    return _get_json(url + "/status", 2) is not None


def _api_height(url: str) -> int:
    info = _get_json(url + "/v1/info", 2)
    return info["height"] if info else -1


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no conflict
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _check_ports_free(ports: list[int], who: str) -> None:
    busy = [p for p in ports if not _port_free(p)]
    if busy:
        raise LocalnetError(f"{who} needs port(s) {', '.join(map(str, busy))} on 127.0.0.1, which are in use "
                            "(choose another --base-port)")


def free_base_port(validators: int, start: int = 20000, end: int | None = None, *, members: int = 0) -> int:
    """A base port whose whole block (10 per validator or member node, whichever are more) has
    the ports of `validators` nodes and `members` member nodes free right now (tests, bench).

    Chosen below the kernel's ephemeral range, so that no outgoing connection can take
    one of the ports while a node is down and about to be restarted."""
    import random

    span = 10 * max(validators, members)
    if end is None:
        end = 32768
        try:
            with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
                end = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
        if end - span <= start + 10:
            end = 65000
    for _ in range(200):
        base = random.randrange(start, end - span, 10)
        if all(_port_free(base + 10 * i + k) for i in range(validators) for k in PORTS.values()) \
                and all(_port_free(member_port(base, j)) for j in range(members)):
            return base
    raise LocalnetError("no free block of ports found")


# -- creating a network ---------------------------------------------------------------------------
def rfc3339(ms: int) -> str:
    seconds, rem = divmod(ms, 1000)
    base = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{rem:03d}Z"


def node_id(node_key_path: str) -> str:
    """CometBFT's node id: hex of the first 20 bytes of SHA-256 of the node's ed25519 public key."""
    with open(node_key_path) as f:
        priv = base64.b64decode(json.load(f)["priv_key"]["value"])
    return hashlib.sha256(priv[32:]).digest()[:20].hex()


def set_toml(text: str, settings: dict[str, Any]) -> str:
    """Set `section.key = value` lines of a CometBFT config.toml (keys must exist)."""
    lines = text.splitlines()
    section = ""
    seen = set()
    for n, line in enumerate(lines):
        stripped = line.strip()
        m = re.match(r"^\[([A-Za-z0-9_.-]+)\]$", stripped)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^([A-Za-z0-9_-]+)\s*=", stripped)
        if not m:
            continue
        key = f"{section}.{m.group(1)}" if section else m.group(1)
        if key in settings:
            lines[n] = f"{m.group(1)} = {_toml_value(settings[key])}"
            seen.add(key)
    missing = set(settings) - seen
    if missing:
        raise LocalnetError(f"config.toml has no setting(s) {', '.join(sorted(missing))}")
    return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(str(v))


def cometbft_genesis(chain_id: str, genesis_time_ms: int, nodes: list[NodeSpec], app_state: Any,
                     max_block_bytes: int = MAX_BLOCK_BYTES) -> dict:
    return {
        "genesis_time": rfc3339(genesis_time_ms),
        "chain_id": chain_id,
        "initial_height": "1",
        "consensus_params": {
            "block": {"max_bytes": str(max_block_bytes), "max_gas": "-1"},
            "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000",
                         "max_bytes": "1048576"},
            "validator": {"pub_key_types": ["ed25519"]},
            "version": {"app": "1"},
            "abci": {"vote_extensions_enable_height": "0"},
        },
        "validators": [{"address": n.address, "pub_key": {"type": "tendermint/PubKeyEd25519", "value": n.pub_key},
                        "power": str(VALIDATOR_POWER), "name": n.name} for n in nodes],
        "app_hash": "",
        "app_state": app_state,
    }


def init_cometbft_homes(home: str, nodes: list[NodeSpec], binary: str, chain_id: str, genesis_time_ms: int,
                        app_state: Any, proxy_app: str | None = None, tuning: dict | None = None,
                        max_block_bytes: int = MAX_BLOCK_BYTES, cmt_home=None) -> None:
    """`cometbft init` each node, fill in keys and node ids, write the shared genesis and config.toml.

    `proxy_app` None: each node's ABCI port (faechain); else that value for every node
    (e.g. "kvstore" for CometBFT's built-in application in the benchmark).
    """
    cmt_home = cmt_home or (lambda i: os.path.join(home, f"node{i}", "cometbft"))
    for n in nodes:
        h = cmt_home(n.index)
        os.makedirs(h, exist_ok=True)
        out = subprocess.run([binary, "init", "--home", h], capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise LocalnetError(f"cometbft init failed: {out.stderr.strip() or out.stdout.strip()}")
        with open(os.path.join(h, "config", "priv_validator_key.json")) as f:
            key = json.load(f)
        n.address = key["address"]
        n.pub_key = key["pub_key"]["value"]
        n.node_id = node_id(os.path.join(h, "config", "node_key.json"))
    genesis = cometbft_genesis(chain_id, genesis_time_ms, nodes, app_state, max_block_bytes)
    settings_base = {**TUNING, **(tuning or {})}
    for n in nodes:
        h = cmt_home(n.index)
        with open(os.path.join(h, "config", "genesis.json"), "w") as f:
            json.dump(genesis, f, indent=2)
        peers = ",".join(f"{m.node_id}@127.0.0.1:{m.p2p}" for m in nodes if m.index != n.index)
        settings = {
            **settings_base,
            "proxy_app": proxy_app if proxy_app is not None else f"tcp://127.0.0.1:{n.abci}",
            "moniker": n.name,
            "rpc.laddr": f"tcp://127.0.0.1:{n.rpc}",
            "p2p.laddr": f"tcp://127.0.0.1:{n.p2p}",
            "p2p.persistent_peers": peers,
        }
        path = os.path.join(h, "config", "config.toml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(set_toml(text, settings))


def create(home: str, validators: int, *, base_port: int = DEFAULT_BASE_PORT, chain_id: str = DEFAULT_CHAIN_ID,
           tuning: dict | None = None, max_block_txs: int = MAX_BLOCK_TXS,
           max_block_bytes: int = MAX_BLOCK_BYTES, suite: str = "ed25519", members: int = 0) -> Localnet:
    """Create a network of `validators` validators in `home` (which must be empty or absent),
    and `members` member nodes of organisations that run no validator (MEMBER_ORDER).

    `suite` is the chain's signature suite (`sm2-sm3`: every member certificate, transaction
    signature and ledger hash is SM2/SM3); CometBFT's own consensus keys stay Ed25519."""
    from faechain.core.genesis import Genesis
    from faechain.devnet.demo import MEMBERS, create_demo
    from faechain.node.config import NodeConfig, paths

    home = os.path.abspath(os.path.expanduser(home))
    if not 1 <= validators <= len(VALIDATOR_ORDER):
        raise LocalnetError(f"--validators must be between 1 and {len(VALIDATOR_ORDER)} (one organisation each)")
    if not 0 <= members <= len(MEMBER_ORDER) - validators:
        raise LocalnetError(f"--members must be between 0 and {len(MEMBER_ORDER) - validators} with {validators} "
                            "validators (one organisation each, none of them a validator's)")
    if os.path.isdir(home) and os.listdir(home):
        raise LocalnetError(f"{home} exists and is not empty")
    binary = find_cometbft()
    version = cometbft_version(binary)
    if version != COMETBFT_VERSION:
        raise LocalnetError(f"{binary} is CometBFT {version}; faechain needs {COMETBFT_VERSION} "
                            "(run scripts/install-cometbft.sh)")
    nodes = []
    for i in range(validators):
        ports = {k: base_port + 10 * i + off for k, off in PORTS.items()}
        nodes.append(NodeSpec(i, VALIDATOR_ORDER[i], "", api=ports["api"], p2p=ports["p2p"], rpc=ports["rpc"],
                              abci=ports["abci"]))
    _check_ports_free([getattr(n, k) for n in nodes for k in PORTS]
                      + [member_port(base_port, j) for j in range(members)], "the localnet")
    os.makedirs(home, exist_ok=True)
    try:
        # CAs and wallets of the 22 demo members, a dev genesis; no solo block signer: the
        # validators sign this network's headers
        create_demo(home, suite=suite, block_signer=False)
        genesis = Genesis.load(paths(home)["genesis"])
        org_of = {m.name: o["id"] for m, o in zip(MEMBERS, genesis.orgs, strict=False)}
        for n in nodes:
            n.org_id = org_of[n.name]
        genesis_time = (int(time.time() * 1000) // 1000) * 1000 - 1000
        genesis.chain_id = chain_id
        genesis.genesis_time = genesis_time
        # keys first: `cometbft init` makes them; the genesis then names them
        init_cometbft_homes(home, nodes, binary, chain_id, genesis_time, app_state={}, tuning=tuning,
                            max_block_bytes=max_block_bytes)
        genesis.validators = [{"name": n.name, "org_id": n.org_id, "key_type": "ed25519", "pub_key": n.pub_key,
                               "address": n.address, "power": VALIDATOR_POWER} for n in nodes]
        genesis.save(paths(home)["genesis"])
        app_state = genesis.canonical()
        cmt_genesis = cometbft_genesis(chain_id, genesis_time, nodes, app_state, max_block_bytes)
        for n in nodes:
            with open(os.path.join(home, f"node{n.index}", "cometbft", "config", "genesis.json"), "w") as f:
                json.dump(cmt_genesis, f, indent=2)
            node_home = os.path.join(home, f"node{n.index}")
            shutil.copyfile(paths(home)["genesis"], paths(node_home)["genesis"])
            # each node holds its operating member's identity, as that organisation's own node
            # would: its console signs in as that member (one click: a dev chain on loopback)
            shutil.copytree(os.path.join(paths(home)["wallet"], n.name),
                            os.path.join(paths(node_home)["wallet"], n.name))
            # every other node is a vault peer: a document uploaded at one node is readable at all
            cfg = NodeConfig(engine="cometbft", port=n.api, anonymous_reads=True, verify_workers=0,
                             vault_peers=[m.api_url for m in nodes if m.index != n.index], abci={
                "listen": f"tcp://127.0.0.1:{n.abci}",
                "rpc": n.rpc_url,
                "rpc_batch": int((tuning or {}).get("rpc.max_request_batch_size",
                                                    TUNING["rpc.max_request_batch_size"])),
                "max_block_txs": max_block_txs,
            })
            cfg.save(node_home)
            if n.index == 0:
                cfg.save(home)  # `fae query --home <localnet>` talks to node 0
        net = Localnet(home, chain_id, base_port, nodes, binary)
        net.save()
        for _ in range(members):
            net.add_member()
        return net
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
