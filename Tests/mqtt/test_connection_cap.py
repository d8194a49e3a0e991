"""The MQTT connection cap (SPEC.md §14.7): irisd sizes its caps from its open-file limit and
closes connections past the MQTT cap as soon as it accepts them, so a flood of connections never
takes the descriptors its logs and runtime need. Before the cap, a node whose descriptor table
filled up died (SIGILL in the runtime); here it must keep serving."""

import os
import re
import resource
import socket
import time
import uuid

import pytest

import broker as brokers
import rawmqtt
from pahoclient import PahoClient

pytestmark = pytest.mark.skipif(
    os.environ.get("MQTT_BROKER", "mosquitto") != "irisd", reason="the descriptor budget is irisd's (SPEC.md §14.7)"
)

# The open-file limit the node runs under (soft and hard, so it cannot raise it): with 8
# partitions (given, so that the sums below do not depend on the machine's cores) it keeps
# 256 + 8 x 8 = 320 for itself, 35 go to the client port, 245 to MQTT.
NOFILE = 600


def limited_node(tmp_path, extra=(), soft=NOFILE):
    node = brokers.IrisdBroker(os.environ["IRISD"], str(tmp_path), extra=["--partitions", "8"] + list(extra))
    node.preexec = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, NOFILE))
    return node


def metric(port, name):
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.split()[-1])
    raise AssertionError(f"no {name} in /metrics")


def budget_line(node):
    with open(node.log_path, encoding="utf-8", errors="replace") as log:
        text = log.read()
    found = re.search(r"open-file limit (\d+) \(hard (\d+)\): (\d+) kept for the node, at most (\d+) client and (\d+) MQTT connections", text)
    assert found, f"no descriptor budget line in {node.log_path}:\n{text[-2000:]}"
    return [int(group) for group in found.groups()], text


def test_a_flood_past_the_cap_is_refused_and_the_node_keeps_serving(tmp_path):
    metrics_port = brokers.free_port()
    node = limited_node(tmp_path, extra=["--metrics", f"127.0.0.1:{metrics_port}"])
    node.start()
    try:
        (soft, hard, reserve, clients, mqtt), _ = budget_line(node)
        assert (soft, hard, reserve) == (NOFILE, NOFILE, 320)
        assert clients + mqtt == NOFILE - reserve and mqtt == 245
        time.sleep(0.5)  # the readiness probe's connection has closed
        attempts = mqtt + 200  # 445 sockets: more than the node's whole descriptor table left
        opened, accepted, refused = [], 0, 0
        for number in range(attempts):
            try:
                client = rawmqtt.RawClient(node.host, node.port, timeout=5.0)
            except OSError:
                refused += 1
                continue
            opened.append(client)
            try:
                code, _ = client.connect(f"flood-{number}")
                accepted += code == 0
            except (rawmqtt.ConnectionClosed, rawmqtt.ProtocolError, OSError):
                refused += 1
        assert node.process.poll() is None, f"irisd exited with {node.process.returncode} under the flood"
        assert accepted == mqtt, f"{accepted} of {attempts} CONNECTs accepted; the cap is {mqtt}"
        assert refused == attempts - mqtt
        with open(node.log_path, encoding="utf-8", errors="replace") as log:
            text = log.read()
        assert f"MQTT: {mqtt} connections open, the cap: refusing new connections" in text
        assert "SIGILL" not in text and "Fatal error" not in text
        deadline = time.monotonic() + 10  # gauges are sampled: wait for the next sample
        while metric(metrics_port, "iris_mqtt_refused_connections") != refused and time.monotonic() < deadline:
            time.sleep(0.2)
        assert metric(metrics_port, "iris_mqtt_refused_connections") == refused
        for client in opened:
            client.close()
        # Room again: a standard client connects, subscribes and gets its own message back.
        deadline = time.monotonic() + 10
        while True:
            try:
                paho = PahoClient(node, client_id=f"after-{uuid.uuid4().hex[:8]}", clean=True)
                paho.connect()
                break
            except Exception:
                paho.client.loop_stop()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        topic = f"cap/{uuid.uuid4().hex[:8]}"
        assert paho.subscribe([(topic, 1)]) == [1]
        paho.publish(topic, b"still serving", qos=1)
        assert [message.payload for message in paho.receive(1, timeout=10)] == [b"still serving"]
        paho.disconnect()
        assert node.process.poll() is None
    finally:
        node.stop()


def test_caps_that_the_limit_cannot_hold_are_refused_at_start(tmp_path):
    node = limited_node(tmp_path, extra=["--mqtt-max-connections", "1000"])
    with pytest.raises(brokers.BrokerError, match="exited with status"):
        node.start()
    with open(node.log_path, encoding="utf-8", errors="replace") as log:
        text = log.read()
    assert "35 client and 1000 MQTT connections need 1035 descriptors, but 280 are left" in text, text[-2000:]
    assert "ulimit -n" in text


def test_the_soft_limit_is_raised_to_the_hard_one_and_the_backlog_flag_applies(tmp_path):
    node = limited_node(tmp_path, extra=["--mqtt-listen-backlog", "77"], soft=400)
    node.start()
    try:
        (soft, hard, reserve, clients, mqtt), _ = budget_line(node)
        assert (soft, hard) == (NOFILE, NOFILE), "irisd did not raise its soft limit 400 to the hard 600"
        with open(f"/proc/{node.process.pid}/limits") as limits:
            row = next(line for line in limits if line.startswith("Max open files"))
        assert row.split()[3:5] == [str(NOFILE), str(NOFILE)], row
        # A listening socket's Send-Q in `ss -ltn` is its backlog (capped by net.core.somaxconn).
        import subprocess
        listing = subprocess.run(["ss", "-ltnH", f"sport = :{node.port}"], capture_output=True, text=True, check=True).stdout
        somaxconn = int(open("/proc/sys/net/core/somaxconn").read())
        assert listing.split()[2] == str(min(77, somaxconn)), listing
    finally:
        node.stop()
