"""Network partitions between loopback addresses with nftables.

One table `inet iris_chaos_<pid>` with an input and an output chain; a fault adds
`ip saddr A ip daddr B drop` rules (in both hooks: on loopback a packet passes output, then
input), healing flushes both chains, closing deletes the table. Before any fault relies on it,
`self_test` proves with two sockets that such a rule really stops a TCP connect between two
loopback addresses, and that a third address still connects.
"""

import os
import shutil
import socket
import subprocess

NFT_TIMEOUT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 1.0


class NetFaultsUnavailable(Exception):
    """nftables cannot be used here; the message says why."""


class NetFaults:
    """The harness's nftables table. Use `open` (which self-tests), then isolate/heal, then close."""

    def __init__(self):
        self.table = f"iris_chaos_{os.getpid()}"
        self.created = False

    def _nft(self, *arguments):
        """Runs nft; its stdout, or NetFaultsUnavailable."""
        command = ["nft", *arguments]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=NFT_TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise NetFaultsUnavailable(f"`{' '.join(command)}` failed: {error}") from error
        if result.returncode != 0:
            raise NetFaultsUnavailable(f"`{' '.join(command)}` exit {result.returncode}: {result.stderr.strip()}")
        return result.stdout

    def remove_orphans(self):
        """Deletes tables left by a harness that was killed (its PID no longer runs): their
        rules would otherwise keep dropping traffic between the node addresses."""
        for line in self._nft("list", "tables").splitlines():
            name = line.split()[-1] if line.startswith("table inet iris_chaos_") else ""
            pid = name.removeprefix("iris_chaos_")
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                print(f"iris-chaos: removing nftables table inet {name} left by a run that died", flush=True)
                self._nft("delete", "table", "inet", name)

    def open(self, probe_addresses):
        """Creates the table and proves a drop rule works between the first two of
        probe_addresses (three loopback addresses). Raises NetFaultsUnavailable otherwise."""
        if os.geteuid() != 0:
            raise NetFaultsUnavailable("not root: nftables needs CAP_NET_ADMIN")
        if shutil.which("nft") is None:
            raise NetFaultsUnavailable("the nft command is not installed (apt-get install nftables)")
        self.remove_orphans()
        self._nft("add", "table", "inet", self.table)
        self.created = True
        for hook in ("input", "output"):
            self._nft("add", "chain", "inet", self.table, hook,
                      f"{{ type filter hook {hook} priority 0; policy accept; }}")
        self.self_test(*probe_addresses[:3])

    def drop(self, source, destination):
        """Drops every IPv4 packet from source to destination (one direction)."""
        for hook in ("input", "output"):
            self._nft("add", "rule", "inet", self.table, hook, "ip", "saddr", source, "ip", "daddr", destination, "drop")

    def heal(self):
        """Removes every rule: all traffic flows again."""
        for hook in ("input", "output"):
            self._nft("flush", "chain", "inet", self.table, hook)

    def close(self):
        """Deletes the table if this object created it; never raises."""
        if not self.created:
            return
        try:
            self._nft("delete", "table", "inet", self.table)
            self.created = False
        except NetFaultsUnavailable as error:
            print(f"iris-chaos: WARNING: could not delete nftables table inet {self.table}: {error}", flush=True)

    def self_test(self, listener_address, blocked_address, free_address):
        """A listener on listener_address; a connect from blocked_address must fail once the
        rule is in, one from free_address must still work, and both must work after healing."""
        with socket.socket() as listener:
            listener.bind((listener_address, 0))
            listener.listen(8)
            port = listener.getsockname()[1]
            if not _connects(blocked_address, listener_address, port):
                raise NetFaultsUnavailable(f"loopback {blocked_address} -> {listener_address} does not connect even without rules")
            self.drop(blocked_address, listener_address)
            try:
                if _connects(blocked_address, listener_address, port):
                    raise NetFaultsUnavailable(f"a drop rule {blocked_address} -> {listener_address} did not stop a TCP connect")
                if not _connects(free_address, listener_address, port):
                    raise NetFaultsUnavailable(f"a drop rule {blocked_address} -> {listener_address} also stopped {free_address}")
            finally:
                self.heal()
            if not _connects(blocked_address, listener_address, port):
                raise NetFaultsUnavailable("traffic did not flow again after flushing the rules")


def _connects(source, destination, port):
    with socket.socket() as client:
        client.settimeout(CONNECT_TIMEOUT_SECONDS)
        client.bind((source, 0))
        try:
            client.connect((destination, port))
            return True
        except OSError:
            return False
