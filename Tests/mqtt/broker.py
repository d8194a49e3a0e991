"""Brokers the MQTT suite and the durability tool run against: Mosquitto now, irisd later.

A Broker owns one broker process on 127.0.0.1 and one data directory. It starts the process,
waits until an MQTT CONNECT is answered with CONNACK 0 (bounded), and stops it with SIGTERM or
kills it with SIGKILL, always by the PID it started. `broker_from_environment` picks the broker
from MQTT_BROKER (mosquitto, the default, or irisd with IRISD=/path/to/irisd).
"""

import json
import os
import random
import signal
import socket
import subprocess
import time

import rawmqtt

READY_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0


class BrokerError(Exception):
    """The broker could not be started or stopped; the message says what to check."""


# Ports free_port returned in this process: never handed out twice, though each was free again.
_HANDED_OUT = set()


def free_port():
    """Returns a TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral
    range: a port from that range can be taken, before the broker binds it, as the source port of
    an outgoing connection (the nodes of a cluster connect to each other while others start)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            ephemeral_low = int(ports.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    for _ in range(200):
        port = random.randrange(10_000, max(10_001, ephemeral_low))
        if port in _HANDED_OUT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            _HANDED_OUT.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Broker:
    """One broker process on 127.0.0.1 with a data directory that survives restarts."""

    kind = "abstract"
    # Whether the broker refuses a publish larger than its maximum packet size by closing.
    enforces_max_packet_size = False
    # Whether the broker answers a subscription to a denied filter with return code 0x80.
    supports_subscribe_deny = False

    def __init__(self, data_dir, port):
        self.host = "127.0.0.1"
        self.port = port
        self.data_dir = data_dir
        self.process = None
        self.log_path = os.path.join(data_dir, f"{self.kind}.out")
        # Run in the child before exec (e.g. to lower its open-file limit); None for nothing.
        self.preexec = None
        os.makedirs(data_dir, exist_ok=True)

    def command(self):
        """The argument vector that runs the broker."""
        raise NotImplementedError

    def start(self):
        """Starts the broker and returns once it answers CONNECT with CONNACK 0 (at most 20 s)."""
        self.launch()
        self.wait_ready()

    def launch(self):
        """Starts the broker process without waiting for it to answer (a cluster starts every node first)."""
        if self.process is not None:
            raise BrokerError(f"{self.kind} is already running as PID {self.process.pid}")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, preexec_fn=self.preexec
            )

    def wait_ready(self):
        """Returns once the started broker answers CONNECT with CONNACK 0 (at most 20 s)."""
        self._wait_ready()

    def stop(self):
        """Stops the broker with SIGTERM and waits for it to exit (SIGKILL after 10 s)."""
        self._end(signal.SIGTERM)

    def kill(self):
        """Kills the broker with SIGKILL, as a crash would."""
        self._end(signal.SIGKILL)

    def restart(self):
        """Stops the broker with SIGTERM and starts it again on the same data directory and port."""
        self.stop()
        self.start()

    def describe(self):
        """A one-line description for reports."""
        return f"{self.kind} on {self.host}:{self.port} (data {self.data_dir})"

    def _end(self, sig):
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def _output_tail(self, lines=8):
        """The last lines the broker wrote, for an error message (the data directory may be
        gone by the time anyone reads its log file)."""
        try:
            with open(self.log_path, errors="replace") as output:
                return " | ".join(line.strip() for line in output.readlines()[-lines:])
        except OSError as error:
            return f"(unreadable: {error})"

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        last_error = "no attempt"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise BrokerError(
                    f"{self.kind} exited with status {code} while starting; see {self.log_path}; "
                    f"it wrote last: {self._output_tail()}")
            try:
                with rawmqtt.RawClient(self.host, self.port, timeout=1.0) as probe:
                    code, _ = probe.connect("iris-ready-probe", clean=True)
                    if code == 0:
                        probe.disconnect()
                        return
                    last_error = f"CONNACK return code {code}"
            except OSError as error:
                last_error = str(error)
            except (rawmqtt.ProtocolError, rawmqtt.ConnectionClosed) as error:
                # A node still starting may close the probe (a cluster restart: it waits to read
                # what the others committed before serving, SPEC.md §16.7); try again.
                last_error = str(error)
            time.sleep(0.05)
        self._end(signal.SIGKILL)
        raise BrokerError(
            f"{self.kind} did not answer CONNECT on {self.host}:{self.port} within "
            f"{READY_TIMEOUT_SECONDS:.0f} s (last: {last_error}); see {self.log_path}"
        )


class MosquittoBroker(Broker):
    """Mosquitto with persistence on (snapshot on shutdown and every 30 minutes).

    `max_queued_messages` is the per-session queue bound for offline clients: None keeps
    Mosquitto's default (1000, beyond which it drops messages). Give a count, not 0: with 0
    ("no bound") Mosquitto 2.0.11 closes every publisher of a QoS 1/2 message (measured).
    """

    kind = "mosquitto"

    def __init__(self, data_dir, port=None, executable="/usr/sbin/mosquitto", max_queued_messages=None):
        super().__init__(data_dir, port or free_port())
        self.executable = executable
        self.config_path = os.path.join(data_dir, "mosquitto.conf")
        persistence_dir = os.path.join(data_dir, "persistence")
        os.makedirs(persistence_dir, exist_ok=True)
        with open(self.config_path, "w", encoding="utf-8") as config:
            config.write(
                f"listener {self.port} 127.0.0.1\n"
                "allow_anonymous true\n"
                "persistence true\n"
                f"persistence_location {persistence_dir}/\n"
                "autosave_interval 1800\n"
                # Started as root, Mosquitto would switch to the user `mosquitto`, who cannot
                # write the data directory; `root` keeps the current user.
                "user root\n"
                f"log_dest file {os.path.join(data_dir, 'mosquitto.log')}\n"
                "log_type error\nlog_type warning\nlog_type notice\n"
            )
            if max_queued_messages is not None:
                config.write(f"max_queued_messages {max_queued_messages}\n")

    def command(self):
        """The argument vector that runs the broker."""
        return [self.executable, "-c", self.config_path]


class IrisdBroker(Broker):
    """irisd as a single node serving MQTT, with its client port chosen so it never clashes."""

    kind = "irisd"
    enforces_max_packet_size = True
    supports_subscribe_deny = True

    def __init__(self, irisd_path, data_dir, mqtt_port=None, deny=(), extra=()):
        super().__init__(data_dir, mqtt_port or free_port())
        self.irisd_path = irisd_path
        self.deny = list(deny)
        self.extra = list(extra)
        self.client_port = free_port()
        self.node_dir = os.path.join(data_dir, "node")

    def command(self):
        """The argument vector that runs the broker."""
        arguments = [
            self.irisd_path,
            "--data", self.node_dir,
            "--id", "1",
            "--cluster", f"1=127.0.0.1:{self.client_port}",
            "--mqtt", f"127.0.0.1:{self.port}",
        ]
        for topic_filter in self.deny:
            arguments += ["--mqtt-deny-subscribe", topic_filter]
        return arguments + self.extra


class IrisdClusterNode(Broker):
    """Node `node_id` of an irisd cluster serving MQTT (by default 3 nodes, 3 replicas, 4 partitions)."""

    kind = "irisd-node"
    enforces_max_packet_size = True
    supports_subscribe_deny = True

    def __init__(self, irisd_path, data_dir, node_id, client_ports, mqtt_ports, replicas=3, partitions=4):
        super().__init__(os.path.join(data_dir, f"n{node_id}"), mqtt_ports[node_id - 1])
        self.replicas = replicas
        self.partitions = partitions
        self.irisd_path = irisd_path
        self.node_id = node_id
        self.client_ports = client_ports
        self.mqtt_ports = mqtt_ports
        self.node_dir = os.path.join(self.data_dir, "node")

    def command(self):
        """The argument vector that runs this node."""
        cluster = ",".join(f"{n}=127.0.0.1:{port}" for n, port in enumerate(self.client_ports, 1))
        mqtt = ",".join(f"{n}=127.0.0.1:{port}" for n, port in enumerate(self.mqtt_ports, 1))
        return [
            self.irisd_path, "--data", self.node_dir, "--id", str(self.node_id), "--cluster", cluster,
            "--replicas", str(self.replicas), "--partitions", str(self.partitions), "--mqtt", mqtt,
        ]

    def describe(self):
        """A one-line description for reports."""
        return f"node {self.node_id}: MQTT {self.host}:{self.port}, client port {self.client_ports[self.node_id - 1]}"


class IrisdCluster:
    """`size` irisd nodes on 127.0.0.1 (default 3, with 3 replicas and 4 partitions), each serving MQTT;
    `nodes[i]` is node i + 1, a Broker of its own. With replicas < size a node hosts only some partitions."""

    PARTITIONS = 4
    SIZE = 3

    def __init__(self, irisd_path, data_dir, size=SIZE, replicas=SIZE, partitions=PARTITIONS):
        client_ports = [free_port() for _ in range(size)]
        mqtt_ports = [free_port() for _ in range(size)]
        self.data_dir = data_dir
        self.client_ports = client_ports
        self.partitions = partitions
        self.nodes = [
            IrisdClusterNode(irisd_path, data_dir, n, client_ports, mqtt_ports, replicas=replicas, partitions=partitions)
            for n in range(1, size + 1)
        ]

    def start(self):
        """Starts every node, then waits until each answers MQTT CONNECT with CONNACK 0."""
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            node.wait_ready()

    def stop(self):
        """Stops every node with SIGTERM."""
        for node in self.nodes:
            node.stop()

    def kill(self):
        """Kills every node still running with SIGKILL."""
        for node in self.nodes:
            node.kill()

    def client_addresses(self, exclude=()):
        """The nodes' client-protocol addresses (for iris-log --cluster), without node IDs in `exclude`."""
        return [f"127.0.0.1:{port}" for n, port in enumerate(self.client_ports, 1) if n not in exclude]

    def partition_of(self, client_id):
        """The partition owning `client_id`'s session: FNV-1a-64 of its UTF-8 bytes mod P (SPEC.md §16.1)."""
        value = 0xCBF29CE484222325
        for byte in client_id.encode("utf-8"):
            value ^= byte
            value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return value % self.partitions

    def _partition_rows(self, partition, iris_log, exclude, timeout, accept):
        """The first row for `partition` that `accept` takes, asking each live node in turn (a node
        reports only the partitions it hosts) until `timeout`."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for address in self.client_addresses(exclude):
                completed = subprocess.run(
                    [iris_log, "info", "--cluster", address, "--json"], capture_output=True, text=True, timeout=10,
                )
                if completed.returncode != 0:
                    last = completed.stderr.strip()
                    continue
                for row in json.loads(completed.stdout)["partitions"]:
                    if row["partition"] == partition and accept(row):
                        return row
                last = completed.stdout.strip()
            time.sleep(0.2)
        raise BrokerError(f"partition {partition}: no fitting answer within {timeout:.0f} s (last: {last})")

    def replicas_of(self, partition, iris_log, timeout=20.0):
        """The node IDs hosting `partition` per `iris-log info --json`."""
        return list(self._partition_rows(partition, iris_log, (), timeout, lambda row: True)["replicas"])

    def leader_of(self, partition, iris_log, exclude=(), timeout=20.0):
        """The node ID leading `partition` per `iris-log info --json` (asked of live nodes), waiting for one."""
        row = self._partition_rows(
            partition, iris_log, exclude, timeout, lambda row: row["leader"] is not None and row["leader"] not in exclude
        )
        return row["leader"]


def broker_from_environment(data_dir, kind=None, deny=()):
    """The broker MQTT_BROKER names (mosquitto by default; irisd needs IRISD=/path/to/irisd)."""
    kind = kind or os.environ.get("MQTT_BROKER", "mosquitto")
    if kind == "mosquitto":
        return MosquittoBroker(data_dir)
    if kind == "irisd":
        irisd_path = os.environ.get("IRISD")
        if not irisd_path or not os.access(irisd_path, os.X_OK):
            raise BrokerError("MQTT_BROKER=irisd needs IRISD=/path/to/irisd (an executable file)")
        return IrisdBroker(irisd_path, data_dir, deny=deny)
    raise BrokerError(f"unknown MQTT_BROKER {kind!r}: use mosquitto or irisd")
