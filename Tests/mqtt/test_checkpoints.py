"""Router checkpoints (SPEC.md §16.8) through real restarts of irisd: after kill -9 and after SIGTERM
the node starts from its checkpoints and reads only the records committed after them, and a
persistent session, its queued messages and retained messages are all still there; a damaged
checkpoint is reported and the partition is rebuilt from its log."""

import glob
import os
import re
import time
import uuid

import pytest

import broker as brokers
from pahoclient import PahoClient

pytestmark = pytest.mark.skipif(
    os.environ.get("MQTT_BROKER", "mosquitto") != "irisd", reason="router checkpoints are irisd's (SPEC.md §16.8)"
)


@pytest.fixture
def node(tmp_path):
    """A node of its own that checkpoints every second, stopped at the end."""
    instance = brokers.IrisdBroker(os.environ["IRISD"], str(tmp_path), extra=["--mqtt-checkpoint-interval", "1"])
    instance.start()
    yield instance
    instance.stop()


def connect(node, client_id, clean):
    client = PahoClient(node, client_id=client_id, clean=clean)
    session_present = client.connect()
    return client, session_present


def checkpoint_files(node):
    return glob.glob(os.path.join(node.node_dir, "partitions", "*", "router-checkpoint"))


def partition_of(node, client_id):
    """The partition of a client ID's records: FNV-1a-64 of its UTF-8 bytes mod P (SPEC.md §16.1)."""
    value = 0xCBF29CE484222325
    for byte in client_id.encode("utf-8"):
        value ^= byte
        value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value % len(os.listdir(os.path.join(node.node_dir, "partitions")))


def wait_for_checkpoints(node, since, client_ids):
    """Waits (at most 15 s) until the checkpoints of the partitions of `client_ids` are newer than `since`."""
    paths = {os.path.join(node.node_dir, "partitions", str(partition_of(node, client_id)), "router-checkpoint") for client_id in client_ids}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if all(os.path.exists(path) and os.path.getmtime(path) > since for path in paths):
            return
        time.sleep(0.1)
    raise AssertionError(f"no router checkpoint of {sorted(paths)} written within 15 s")


def start_lines(node):
    """The log lines of the router's last start: from checkpoints, and records read past them."""
    with open(node.log_path, encoding="utf-8", errors="replace") as log:
        text = log.read()
    restored = re.findall(r"mqtt: (\d+) of (\d+) partitions start from their checkpoints \((\d+) sessions\)", text)
    replayed = re.findall(r"reading (\d+) records past the checkpoints", text)
    return restored, [int(count) for count in replayed], text


def subscribe_offline(node, client_id, topic_filter):
    """A persistent session subscribed to `topic_filter` at QoS 1, then offline."""
    subscriber, _ = connect(node, client_id, clean=False)
    assert subscriber.subscribe([(topic_filter, 1)]) == [1]
    subscriber.disconnect()


def publish_numbered(node, topic, first, count, client_id=None):
    publisher, _ = connect(node, client_id or f"pub-{uuid.uuid4().hex[:8]}", clean=True)
    for number in range(first, first + count):
        publisher.publish(topic, str(number).encode(), qos=1)
    publisher.disconnect()


def drain(node, client_id, expected):
    """Reconnects the persistent subscriber and checks it gets exactly the numbers expected."""
    client, session_present = connect(node, client_id, clean=False)
    assert session_present is True, "the persistent session was lost"
    received = client.receive(len(expected), timeout=20)
    client.disconnect()
    assert sorted(int(message.payload) for message in received) == sorted(expected)


def test_kill_9_then_restart_from_checkpoints_loses_nothing(node):
    prefix = f"ckpt-{uuid.uuid4().hex[:8]}"
    publisher_id = f"{prefix}-pub"
    # In the publisher's partition: the checkpoint written after the publishes start holds the session.
    subscriber_id = next(
        f"{prefix}-sub{n}" for n in range(10_000) if partition_of(node, f"{prefix}-sub{n}") == partition_of(node, publisher_id)
    )
    subscribe_offline(node, subscriber_id, f"{prefix}/#")
    publisher, _ = connect(node, f"{prefix}-retainer", clean=True)
    publisher.publish(f"{prefix}/retained", b"kept", qos=1, retain=True)
    publisher.disconnect()
    publish_numbered(node, f"{prefix}/a", 0, 200, publisher_id)
    # A checkpoint written after all 200 committed (one written while they were still being
    # published would leave up to 200 of them to replay, which the bound below cannot tell apart).
    before = time.time()
    wait_for_checkpoints(node, before, [publisher_id])
    # Committed after the checkpoint: read from the log at restart.
    publish_numbered(node, f"{prefix}/a", 200, 50)

    node.kill()
    node.start()
    restored, replayed, text = start_lines(node)
    assert restored, f"the restart did not use the checkpoints:\n{text[-3000:]}"
    assert int(restored[-1][0]) >= 1 and int(restored[-1][2]) >= 1, restored
    # Everything since start: the 201 messages and the session records came before the checkpoint.
    assert replayed[-1] < 200, f"read {replayed[-1]} records past the checkpoints"

    # The queued messages and the retained one (at least once: QoS 1), and retained for a new subscriber.
    client, session_present = connect(node, subscriber_id, clean=False)
    assert session_present is True
    received = client.receive(251, timeout=20)
    client.disconnect()
    numbers = {int(message.payload) for message in received if message.topic == f"{prefix}/a"}
    assert numbers == set(range(250))
    assert [message.payload for message in received if message.topic == f"{prefix}/retained"] == [b"kept"]
    fresh, _ = connect(node, f"{prefix}-fresh", clean=True)
    assert fresh.subscribe([(f"{prefix}/retained", 0)]) == [0]
    retained = fresh.receive(1)
    fresh.disconnect()
    assert (retained[0].payload, retained[0].retain) == (b"kept", True)


def test_sigterm_writes_final_checkpoints_so_a_restart_reads_almost_nothing(node):
    prefix = f"ckpt-{uuid.uuid4().hex[:8]}"
    subscriber_id = f"{prefix}-sub"
    subscribe_offline(node, subscriber_id, f"{prefix}/#")
    publish_numbered(node, f"{prefix}/a", 0, 300)
    node.restart()
    restored, replayed, text = start_lines(node)
    assert restored, f"the restart did not use the checkpoints:\n{text[-3000:]}"
    # At most the records of the connections closed at shutdown (the readiness probe's).
    assert replayed[-1] < 20, f"read {replayed[-1]} records past the checkpoints"
    drain(node, subscriber_id, list(range(300)))


def test_a_damaged_checkpoint_is_reported_and_the_log_replayed(node):
    prefix = f"ckpt-{uuid.uuid4().hex[:8]}"
    subscriber_id = f"{prefix}-sub"
    subscribe_offline(node, subscriber_id, f"{prefix}/#")
    publish_numbered(node, f"{prefix}/a", 0, 100)
    node.stop()
    files = checkpoint_files(node)
    assert files, "SIGTERM wrote no checkpoint"
    for path in files:
        with open(path, "r+b") as checkpoint:
            checkpoint.seek(os.path.getsize(path) // 2)
            byte = checkpoint.read(1)
            checkpoint.seek(-1, os.SEEK_CUR)
            checkpoint.write(bytes([byte[0] ^ 0xFF]))
    node.start()
    restored, replayed, text = start_lines(node)
    assert "router checkpoint fails its CRC32C" in text, text[-3000:]
    drain(node, subscriber_id, list(range(100)))
