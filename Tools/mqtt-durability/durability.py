"""Kill -9 durability of acknowledged MQTT messages: what a broker keeps of what it acknowledged.

A persistent subscriber (clean session 0, fixed client ID, QoS 2 subscription) connects once and
goes offline. A publisher sends N QoS 1 and/or N QoS 2 messages with distinct payloads and counts
each PUBACK / PUBCOMP. The broker is killed with SIGKILL and started again on the same data
directory (or, for a control run, stopped with SIGTERM); the subscriber reconnects (clean session 0) and collects until 3 s pass without a
message. Reported per QoS: acknowledged, received, lost (acknowledged, never received) and, for
QoS 2, duplicated (received more than once).

Exit status: 0 if nothing acknowledged was lost and no QoS 2 message was duplicated (or, with
--broker mosquitto --expect-loss, whatever Mosquitto lost); 1 if something was; 2 on a usage
error or if the run could not be carried out (broker would not start, nothing acknowledged).
"""

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "mqtt"))
sys.path.insert(0, HERE)

import broker as brokers  # noqa: E402
from pahoclient import PahoClient  # noqa: E402

SUBSCRIBER_ID = "iris-durability-subscriber"
TOPIC_ROOT = "iris-durability"
QUIET_SECONDS = 3.0
PUBLISHER_INFLIGHT_MAX = 256


def parse_arguments(argv):
    """The command line, checked; exits with status 2 on a usage error."""
    parser = argparse.ArgumentParser(
        prog="Tools/mqtt-durability/run.sh",
        description="Publishes acknowledged QoS 1/2 messages to an offline persistent session, kills the "
        "broker with SIGKILL, restarts it and reports what the subscriber lost.",
    )
    parser.add_argument("--broker", choices=["mosquitto", "irisd", "iris-cluster"], required=True)
    parser.add_argument("--count", type=int, default=1000, help="messages per QoS (default 1000)")
    parser.add_argument("--qos", choices=["1", "2", "both"], default="both")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument(
        "--expect-loss", action="store_true",
        help="with --broker mosquitto: losses are the expected finding, exit 0 when the run completes",
    )
    parser.add_argument(
        "--signal", choices=["kill", "term"], default="kill",
        help="how the broker is stopped between publishing and reconnecting: kill (SIGKILL, the test; "
        "default) or term (SIGTERM, a control run: a clean shutdown must lose nothing)",
    )
    parser.add_argument("--irisd", default=os.environ.get("IRISD"), help="path to irisd (default: $IRISD)")
    parser.add_argument(
        "--kill", choices=["subscriber-leader", "publisher-leader"], default="subscriber-leader",
        help="with --broker iris-cluster: kill -9 the leader of the subscriber's partition after publishing "
        "(default) or the leader of the publisher's partition during publishing, after half the acks",
    )
    parser.add_argument(
        "--iris-log", default=os.environ.get("IRIS_LOG"),
        help="with --broker iris-cluster: path to iris-log, which finds partition leaders (default: $IRIS_LOG)",
    )
    parser.add_argument("--nodes", type=int, default=3, help="with --broker iris-cluster: nodes (default 3)")
    parser.add_argument(
        "--replicas", type=int, default=None,
        help="with --broker iris-cluster: replicas per partition, 1, 3 or 5, at most --nodes (default: --nodes); "
        "fewer than --nodes makes nodes that host only some partitions",
    )
    parser.add_argument("--partitions", type=int, default=4, help="with --broker iris-cluster: partitions (default 4)")
    parser.add_argument("--data", help="data directory (default: a new temporary directory, removed after)")
    arguments = parser.parse_args(argv)
    if arguments.replicas is None:
        arguments.replicas = arguments.nodes
    cluster_shape = (arguments.nodes, arguments.replicas, arguments.partitions) != (3, 3, 4)
    if cluster_shape and arguments.broker != "iris-cluster":
        parser.error("--nodes, --replicas and --partitions apply to --broker iris-cluster only")
    if not (1 <= arguments.replicas <= arguments.nodes <= 9) or arguments.partitions < 1:
        parser.error("need 1 <= --replicas <= --nodes <= 9 and --partitions >= 1")
    if arguments.count < 1 or arguments.count > 1_000_000:
        parser.error("--count must be between 1 and 1,000,000")
    if arguments.expect_loss and arguments.broker != "mosquitto":
        parser.error("--expect-loss applies to --broker mosquitto only: irisd must lose nothing")
    if arguments.broker == "iris-cluster" and not (arguments.iris_log and os.access(arguments.iris_log, os.X_OK)):
        parser.error("--broker iris-cluster needs --iris-log PATH or IRIS_LOG=PATH naming the iris-log executable")
    if arguments.kill != "subscriber-leader" and arguments.broker != "iris-cluster":
        parser.error("--kill applies to --broker iris-cluster only")
    if arguments.broker in ("irisd", "iris-cluster") and not (arguments.irisd and os.access(arguments.irisd, os.X_OK)):
        parser.error(f"--broker {arguments.broker} needs --irisd PATH or IRISD=PATH naming the irisd executable")
    return arguments


def make_broker(arguments, data_dir):
    """The broker --broker names, on `data_dir`."""
    if arguments.broker == "mosquitto":
        # An offline queue that holds every message: with Mosquitto's default (1000) it would drop
        # messages with no crash at all.
        return brokers.MosquittoBroker(data_dir, max_queued_messages=2 * arguments.count + 1000)
    return brokers.IrisdBroker(arguments.irisd, data_dir)


def acknowledged(info):
    """Whether the publish got its PUBACK (QoS 1) or PUBCOMP (QoS 2); paho raises once the connection failed."""
    try:
        return info.is_published()
    except RuntimeError:
        return False


def payload(qos, index):
    """The distinct payload of message `index` at `qos`."""
    return f"qos{qos}-{index:07d}".encode()


def create_offline_session(broker):
    """The persistent subscriber connects once, subscribes at QoS 2 and disconnects."""
    subscriber = PahoClient(broker, client_id=SUBSCRIBER_ID, clean=False)
    subscriber.connect()
    granted = subscriber.subscribe([(f"{TOPIC_ROOT}/#", 2)])
    if granted != [2]:
        raise brokers.BrokerError(f"subscription granted {granted}, expected [2]")
    subscriber.disconnect()


def publish_all(broker, qualities, count, log):
    """Publishes `count` messages per QoS, interleaved; returns (publisher, {qos: [(payload, info)]})."""
    publisher = PahoClient(broker, client_id="iris-durability-publisher", clean=True)
    publisher.client.max_inflight_messages_set(PUBLISHER_INFLIGHT_MAX)
    publisher.client.max_queued_messages_set(0)
    publisher.connect()
    sent = {qos: [] for qos in qualities}
    for index in range(count):
        for qos in qualities:
            info = publisher.client.publish(f"{TOPIC_ROOT}/qos{qos}", payload(qos, index), qos=qos)
            sent[qos].append((payload(qos, index), info))
    deadline = time.monotonic() + 30.0 + count * 0.01
    while time.monotonic() < deadline:
        if all(acknowledged(info) for infos in sent.values() for _, info in infos):
            break
        time.sleep(0.05)
    else:
        log("publisher: not every message was acknowledged before the deadline; counting what was")
    return publisher, sent


def collect(broker, count, qualities):
    """The subscriber reconnects (clean session 0) and collects until quiet; returns (session present, messages)."""
    subscriber = PahoClient(broker, client_id=SUBSCRIBER_ID, clean=False)
    session_present = subscriber.connect()
    limit = count * len(qualities) * 3 + 100
    deadline = time.monotonic() + 60.0 + count * 0.01
    received = []
    while len(received) < limit and time.monotonic() < deadline:
        batch = subscriber.receive_until_quiet(QUIET_SECONDS, limit=limit - len(received))
        received += batch
        if not batch:
            break
    subscriber.disconnect()
    return session_present, received


def tally(qualities, sent, received):
    """Acknowledged, received, lost and duplicated counts per QoS."""
    counts = {qos: collections.Counter() for qos in (1, 2)}
    for message in received:
        qos = 1 if message.topic.endswith("qos1") else 2
        counts[qos][message.payload] += 1
    result = {}
    for qos in (1, 2):
        acked = [data for data, info in sent.get(qos, []) if acknowledged(info)]
        result[f"acked_qos{qos}"] = len(acked)
        result[f"received_qos{qos}"] = len(counts[qos])
        result[f"lost_qos{qos}"] = sum(1 for data in acked if counts[qos][data] == 0)
        result[f"duplicated_qos{qos}"] = sum(n - 1 for n in counts[qos].values() if n > 1)
    return result


def run(arguments, log):
    """One whole run; returns the summary (the JSON fields and duplicated_qos1)."""
    started = time.monotonic()
    qualities = {"1": [1], "2": [2], "both": [1, 2]}[arguments.qos]
    data_dir = arguments.data or tempfile.mkdtemp(prefix="iris-mqtt-durability-")
    if arguments.broker == "iris-cluster":
        import cluster_run  # noqa: E402 (imports this module, so not at the top)

        try:
            sent, received = cluster_run.run(arguments, log, data_dir)
        finally:
            if not arguments.data:
                shutil.rmtree(data_dir, ignore_errors=True)
        result = {"broker": arguments.broker, "count": arguments.count, "kill": arguments.kill}
        result.update(tally(qualities, sent, received))
        result["seconds"] = round(time.monotonic() - started, 2)
        return result
    broker = make_broker(arguments, data_dir)
    try:
        broker.start()
        log(f"broker: {broker.describe()}")
        create_offline_session(broker)
        log(f"subscriber {SUBSCRIBER_ID}: session created (clean session 0, QoS 2 on {TOPIC_ROOT}/#), offline")
        publish_started = time.monotonic()
        publisher, sent = publish_all(broker, qualities, arguments.count, log)
        publish_seconds = time.monotonic() - publish_started
        acked = sum(acknowledged(info) for infos in sent.values() for _, info in infos)
        log(f"publisher: {acked} of {arguments.count * len(qualities)} acknowledged in {publish_seconds:.2f} s")
        if arguments.signal == "kill":
            broker.kill()
        else:
            broker.stop()
        publisher.client.disconnect()
        publisher.client.loop_stop()
        log(f"broker: stopped with SIG{arguments.signal.upper()}; starting it again on the same data directory")
        broker.start()
        session_present, received = collect(broker, arguments.count, qualities)
        log(f"subscriber: reconnected, session present {int(session_present)}, {len(received)} messages")
        broker.stop()
    finally:
        broker.kill()
        if not arguments.data:
            shutil.rmtree(data_dir, ignore_errors=True)
    result = {"broker": arguments.broker, "count": arguments.count}
    result.update(tally(qualities, sent, received))
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def main(argv):
    """Runs the tool and returns its exit status."""
    arguments = parse_arguments(argv)

    def log(line):
        print(line, flush=True)

    try:
        result = run(arguments, log)
    except brokers.BrokerError as error:
        print(f"mqtt-durability: {error}", file=sys.stderr)
        return 2
    except AssertionError as error:
        print(f"mqtt-durability: {error}", file=sys.stderr)
        return 2
    for qos in (1, 2):
        log(
            f"QoS {qos}: acknowledged {result[f'acked_qos{qos}']}, received {result[f'received_qos{qos}']}, "
            f"lost {result[f'lost_qos{qos}']}, duplicated {result[f'duplicated_qos{qos}']}"
        )
    failed = result["lost_qos1"] + result["lost_qos2"] + result["duplicated_qos2"] > 0
    acknowledged = result["acked_qos1"] + result["acked_qos2"]
    if acknowledged == 0:
        verdict, status = "INVALID: nothing was acknowledged, so nothing was tested", 2
    elif failed and arguments.expect_loss:
        verdict, status = "LOSS (expected for Mosquitto: it acknowledges before its snapshot)", 0
    elif failed:
        verdict, status = "FAIL: acknowledged messages lost or QoS 2 duplicated", 1
    else:
        verdict, status = "PASS: every acknowledged message received, QoS 2 exactly once", 0
    log(f"{verdict} ({result['seconds']} s)")
    if arguments.json:
        keys = ["broker", "count"] + (["kill"] if "kill" in result else []) + ["acked_qos1", "received_qos1", "lost_qos1", "acked_qos2", "received_qos2",
                "lost_qos2", "duplicated_qos2", "seconds"] + (["duplicated_qos1"] if "kill" in result else [])
        print(json.dumps({key: result[key] for key in keys}), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
