"""The kill -9 durability run against a 3-node irisd cluster (`--broker iris-cluster`).

Node A holds the persistent subscriber's first connection, node B the publisher's. With
`--kill subscriber-leader` the leader of the subscriber's partition is killed after publishing;
with `--kill publisher-leader` the leader of the publisher's partition is killed once half the
messages are acknowledged, while the publisher (clean session 0, on a node that survives) goes on:
paho resends what was not acknowledged with DUP and the same packet IDs when it reconnects. The
killed node is restarted on its data directory; the subscriber reconnects to another node first.

With `--replicas` below `--nodes` a node hosts only some partitions: the publisher then connects to a
node that does not host its partition (hosting neither partition when one such node exists), and the
subscriber's first connection to a node that does not host the subscriber's partition (B itself
when it is the only one).
"""

import time

import broker as brokers
import durability
from pahoclient import PahoClient

# Partition 1 of 4, so the publisher's session and the subscriber's (partition 3) have different leaders
# unless one node leads both.
PUBLISHER_ID = "iris-durability-publisher-1"
RECONNECT_SECONDS = 30.0


def reconnecting(client, log=None):
    """Lets paho reconnect a dropped connection (a leadership move closes it) after 0.1-1 s; logs each drop."""
    client.client.reconnect_delay_set(min_delay=0.1, max_delay=1.0)
    if log is not None:
        def dropped(_client, _userdata, _flags, reason_code, _properties):
            log(f"{client.client._client_id.decode()}: connection closed ({reason_code}); paho reconnects")

        client.client.on_disconnect = dropped
    return client


def connect_any(nodes, client_id, log):
    """Connects a clean-session-0 client to the first of `nodes` that accepts, retrying for 30 s."""
    deadline = time.monotonic() + RECONNECT_SECONDS
    delay = 0.1
    attempts = 0
    while True:
        for node in nodes:
            attempts += 1
            client = reconnecting(PahoClient(node, client_id=client_id, clean=False))
            try:
                session_present = client.connect()
                log(f"{client_id}: connected to {node.describe()} (attempt {attempts}), session present {int(session_present)}")
                return client, session_present
            except (AssertionError, OSError) as error:
                client.client.disconnect()
                client.client.loop_stop()
                log(f"{client_id}: {node.describe()} refused ({error})")
            if time.monotonic() > deadline:
                raise brokers.BrokerError(f"{client_id} could not connect to any node within {RECONNECT_SECONDS:.0f} s")
            time.sleep(delay)
            delay = min(1.0, delay * 2)


def collect(nodes, count, qualities, log):
    """The subscriber reconnects (first to nodes[0]) and collects until 3 s quiet while connected."""
    subscriber, session_present = connect_any(nodes, durability.SUBSCRIBER_ID, log)
    reconnecting(subscriber, log)
    limit = count * len(qualities) * 3 + 100
    deadline = time.monotonic() + 60.0 + count * 0.01
    received = []
    while len(received) < limit and time.monotonic() < deadline:
        batch = subscriber.receive_until_quiet(durability.QUIET_SECONDS, limit=limit - len(received))
        received += batch
        if not batch and subscriber.client.is_connected():
            break
    subscriber.disconnect()
    return session_present, received


def publish_all(node, qualities, count, kill_at, kill, log):
    """Publishes like durability.publish_all, as a persistent session; calls kill() once kill_at are acked."""
    publisher = reconnecting(PahoClient(node, client_id=PUBLISHER_ID, clean=False), log)
    publisher.client.max_inflight_messages_set(durability.PUBLISHER_INFLIGHT_MAX)
    publisher.client.max_queued_messages_set(0)
    publisher.connect()
    sent = {qos: [] for qos in qualities}
    for index in range(count):
        for qos in qualities:
            data = durability.payload(qos, index)
            sent[qos].append((data, publisher.client.publish(f"{durability.TOPIC_ROOT}/qos{qos}", data, qos=qos)))
    infos = [info for pairs in sent.values() for _, info in pairs]
    killed = kill_at is None
    deadline = time.monotonic() + 60.0 + count * 0.02
    while time.monotonic() < deadline:
        acked = sum(durability.acknowledged(info) for info in infos)
        if not killed and acked >= kill_at:
            log(f"publisher: {acked} acknowledged")
            kill()
            killed = True
        if acked == len(infos):
            break
        time.sleep(0.05)
    else:
        log("publisher: not every message was acknowledged before the deadline; counting what was")
    return publisher, sent


def partial_nodes(cluster, subscriber_partition, publisher_partition, iris_log, log):
    """(A, B) when nodes host only some partitions: B, the publisher's, hosts not the publisher's
    partition (so it never leads it and survives its leader's kill), and neither partition if a node
    does; A, the subscriber's first, hosts not the subscriber's partition, another node than B when
    one such exists."""
    subscriber_hosts = set(cluster.replicas_of(subscriber_partition, iris_log))
    publisher_hosts = set(cluster.replicas_of(publisher_partition, iris_log))
    log(f"replicas: subscriber's partition on nodes {sorted(subscriber_hosts)}, publisher's on {sorted(publisher_hosts)}")
    outside_publisher = [node for node in cluster.nodes if node.node_id not in publisher_hosts]
    neither = [node for node in outside_publisher if node.node_id not in subscriber_hosts]
    node_b = (neither or outside_publisher)[0]
    outside_subscriber = [node for node in cluster.nodes if node.node_id not in subscriber_hosts]
    node_a = next((node for node in outside_subscriber if node is not node_b), outside_subscriber[0])
    return node_a, node_b


def run(arguments, log, data_dir):
    """One cluster run; returns (sent, received) as durability.tally takes them."""
    qualities = {"1": [1], "2": [2], "both": [1, 2]}[arguments.qos]
    cluster = brokers.IrisdCluster(
        arguments.irisd, data_dir, size=arguments.nodes, replicas=arguments.replicas, partitions=arguments.partitions
    )
    subscriber_partition = cluster.partition_of(durability.SUBSCRIBER_ID)
    publisher_partition = cluster.partition_of(PUBLISHER_ID)
    try:
        cluster.start()
        for node in cluster.nodes:
            log(f"cluster: {node.describe()}")
        publisher_leader = cluster.leader_of(publisher_partition, arguments.iris_log)
        if arguments.replicas < arguments.nodes:
            node_a, node_b = partial_nodes(cluster, subscriber_partition, publisher_partition, arguments.iris_log, log)
        else:
            # B survives a publisher-leader kill, so paho's reconnect to it resends what was not acked.
            node_b = next(node for node in cluster.nodes if node.node_id != publisher_leader)
            node_a = next(node for node in cluster.nodes if node is not node_b)
        log(f"partitions: subscriber {subscriber_partition}, publisher {publisher_partition} (leader node {publisher_leader}); "
            f"subscriber on node {node_a.node_id}, publisher on node {node_b.node_id}")
        durability.create_offline_session(node_a)
        log(f"subscriber {durability.SUBSCRIBER_ID}: session created on node {node_a.node_id}, offline")
        victim = {}

        def kill(partition):
            leader = cluster.leader_of(partition, arguments.iris_log)
            node = cluster.nodes[leader - 1]
            log(f"cluster: kill -9 node {leader} (leader of partition {partition}, PID {node.process.pid})")
            node.kill()
            victim["node"] = node
            new_leader = cluster.leader_of(partition, arguments.iris_log, exclude=(leader,))
            log(f"cluster: node {new_leader} now leads partition {partition}; restarting node {leader}")
            node.start()
            log(f"cluster: node {leader} answers MQTT again")

        half = arguments.count * len(qualities) // 2
        during = arguments.kill == "publisher-leader"
        publish_started = time.monotonic()
        publisher, sent = publish_all(
            node_b, qualities, arguments.count, half if during else None, lambda: kill(publisher_partition), log
        )
        acked = sum(durability.acknowledged(info) for infos in sent.values() for _, info in infos)
        log(f"publisher: {acked} of {arguments.count * len(qualities)} acknowledged in "
            f"{time.monotonic() - publish_started:.2f} s")
        publisher.disconnect()
        if not during:
            kill(subscriber_partition)
        killed = victim["node"]
        order = [node for node in cluster.nodes if node is not killed] + [killed]
        session_present, received = collect(order, arguments.count, qualities, log)
        log(f"subscriber: {len(received)} messages, session present {int(session_present)}")
        cluster.stop()
    finally:
        cluster.kill()
    return sent, received
