"""MQTT 3.1.1 broker behaviour, checked with real clients (paho-mqtt 2.x, mosquitto_pub/sub)
and, where a library would not misbehave on purpose, a raw socket client.

The broker comes from the environment: MQTT_BROKER=mosquitto (default) or MQTT_BROKER=irisd
IRISD=/path/to/irisd. Normative IDs are from OASIS mqtt-v3.1.1-os; the checklist is
shared/reviews/router-network.md §2. Every wait is bounded (a few seconds).
"""

import shutil
import socket
import subprocess
import time
import uuid

import pytest

import rawmqtt as raw
from conftest import DENIED_FILTER
from rawmqtt import RawClient

WAIT_SECONDS = 5.0
QUIET_SECONDS = 1.0


def unique_id(name):
    """A client ID no other test uses."""
    return f"{name}-{uuid.uuid4().hex[:10]}"


def raw_client(broker):
    """A raw socket client connected (TCP only) to the broker."""
    return RawClient(broker.host, broker.port, timeout=WAIT_SECONDS)


def converse(client, done, timeout=WAIT_SECONDS):
    """Reads packets and answers them as a well-behaved client would, until done(packets)."""
    packets = []
    deadline = time.monotonic() + timeout
    while not done(packets):
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise socket.timeout()
            received = client.read(left)
        except socket.timeout:
            raise AssertionError(f"timed out after {timeout} s; packets so far: {packets}") from None
        packets.append(received)
        if received.type == raw.PUBLISH and received.qos == 1:
            client.send(raw.acknowledgement(raw.PUBACK, received.packet_id))
        elif received.type == raw.PUBLISH and received.qos == 2:
            client.send(raw.acknowledgement(raw.PUBREC, received.packet_id))
        elif received.type == raw.PUBREC:
            client.send(raw.acknowledgement(raw.PUBREL, received.packet_id))
        elif received.type == raw.PUBREL:
            client.send(raw.acknowledgement(raw.PUBCOMP, received.packet_id))
    return packets


def has(packets, packet_type, packet_id=None):
    """Whether `packets` holds one of `packet_type` (with `packet_id`, if given)."""
    return any(p.type == packet_type and (packet_id is None or p.packet_id == packet_id) for p in packets)


def publishes(packets):
    """The PUBLISH packets among `packets`."""
    return [p for p in packets if p.type == raw.PUBLISH]


def subscribe_raw(client, packet_id, filters):
    """Subscribes a raw client and returns the SUBACK's return codes."""
    client.send(raw.subscribe(packet_id, filters))
    suback = converse(client, lambda packets: has(packets, raw.SUBACK, packet_id))[-1]
    return suback.return_codes


def assert_serves_new_client(broker, prefix):
    """A new client can still connect, subscribe, publish and receive: the broker survived."""
    with raw_client(broker) as client:
        assert client.connect(unique_id("after"))[0] == 0
        assert subscribe_raw(client, 1, [(f"{prefix}/alive", 1)]) == [1]
        client.send(raw.publish(f"{prefix}/alive", b"alive", qos=1, packet_id=2))
        packets = converse(client, lambda ps: has(ps, raw.PUBACK, 2) and publishes(ps))
        assert [p.payload for p in publishes(packets)] == [b"alive"]
        client.disconnect()


def ours(messages, prefix):
    """The messages on this test's topics (a `+/+` or `#` subscriber may see others' retained)."""
    return [m for m in messages if m.topic.lstrip("$").startswith(prefix)]


# --- Connection [MQTT-3.1.0-1/-2, 3.1.2-1/-2, 3.1.3-6/-8], Paho testBasic and test_zero_length_clientid


def test_connack_arrives_within_500_ms(broker):
    with raw_client(broker) as client:
        started = time.monotonic()
        code, session_present = client.connect(unique_id("connack"))
        elapsed = time.monotonic() - started
        assert (code, session_present) == (0, False)
        assert elapsed < 0.5, f"CONNACK took {elapsed * 1000:.0f} ms"


def test_second_connect_on_one_connection_closes_it(broker):
    with raw_client(broker) as client:
        assert client.connect(unique_id("twice"))[0] == 0
        client.send(raw.connect(unique_id("twice")))
        assert client.closed_within(WAIT_SECONDS)


def test_bad_protocol_name_closes_connection(broker):
    with raw_client(broker) as client:
        client.send(raw.connect(unique_id("hj"), protocol_name="hj"))
        packets = client.read_all(WAIT_SECONDS)
        assert all(p.type == raw.CONNACK and p.body[1] != 0 for p in packets), packets
        assert client.closed_within(WAIT_SECONDS)


def test_protocol_level_3_gets_connack_0x01_then_close(broker):
    with raw_client(broker) as client:
        client.send(raw.connect(unique_id("level3"), level=3))
        reply = client.read()
        assert reply.type == raw.CONNACK and reply.body[1] == 0x01
        assert client.closed_within(WAIT_SECONDS)


def test_zero_length_client_id_with_clean_session_0_gets_connack_0x02(broker):
    with raw_client(broker) as client:
        assert client.connect("", clean=False)[0] == 0x02
        assert client.closed_within(WAIT_SECONDS)


def test_zero_length_client_id_with_clean_session_1_is_accepted(broker, prefix):
    with raw_client(broker) as client:
        assert client.connect("", clean=True) == (0, False)
        assert subscribe_raw(client, 1, [(f"{prefix}/anonymous", 0)]) == [0]
        client.disconnect()


def test_pingreq_gets_pingresp(broker):
    with raw_client(broker) as client:
        assert client.connect(unique_id("ping"))[0] == 0
        client.send(raw.pingreq())
        assert client.read().type == raw.PINGRESP


# --- Publish and subscribe [MQTT-3.3.5-1, 3.8.4, 4.3, 4.6]


@pytest.mark.parametrize("subscribed_qos", [0, 1, 2])
@pytest.mark.parametrize("published_qos", [0, 1, 2])
def test_publish_is_delivered_at_min_of_published_and_granted_qos(clients, prefix, published_qos, subscribed_qos):
    subscriber = clients()
    assert subscriber.subscribe([(f"{prefix}/t", subscribed_qos)]) == [subscribed_qos]
    clients().publish(f"{prefix}/t", b"payload", qos=published_qos)
    [message] = subscriber.receive(1)
    assert (message.topic, message.payload, message.retain) == (f"{prefix}/t", b"payload", False)
    assert message.qos == min(published_qos, subscribed_qos)
    assert subscriber.receive_until_quiet(QUIET_SECONDS) == []


def test_publish_sent_before_suback_is_routed_by_that_subscription(broker, prefix):
    topic = f"{prefix}/TopicA"
    with raw_client(broker) as client:
        assert client.connect(unique_id("pipeline"))[0] == 0
        client.send(
            raw.subscribe(1, [(topic, 2)])
            + raw.publish(topic, b"qos0", qos=0)
            + raw.publish(topic, b"qos1", qos=1, packet_id=2)
            + raw.publish(topic, b"qos2", qos=2, packet_id=3)
        )
        packets = converse(
            client,
            lambda ps: has(ps, raw.SUBACK, 1) and has(ps, raw.PUBACK, 2) and has(ps, raw.PUBCOMP, 3)
            and len(publishes(ps)) >= 3,
        )
        assert [p.return_codes for p in packets if p.type == raw.SUBACK] == [[2]]
        assert sorted(p.payload for p in publishes(packets)) == [b"qos0", b"qos1", b"qos2"]
        assert publishes(converse_quietly(client)) == []
        client.disconnect()


def converse_quietly(client):
    """Answers packets until none arrives for a second; returns them."""
    packets = []
    while True:
        try:
            packets += converse(client, lambda ps: len(ps) == 1, timeout=QUIET_SECONDS)
        except AssertionError:
            return packets


def test_dollar_topics_are_not_matched_by_leading_wildcards(clients, prefix):
    wildcard = clients()
    assert wildcard.subscribe([("#", 2), ("+/+", 2)]) == [2, 2]
    explicit = clients()
    assert explicit.subscribe([(f"${prefix}/#", 2)]) == [2]
    publisher = clients()
    publisher.publish(f"${prefix}/B", b"dollar", qos=1)
    publisher.publish(f"{prefix}/B", b"plain", qos=1)
    [dollar] = explicit.receive(1)
    assert (dollar.topic, dollar.payload) == (f"${prefix}/B", b"dollar")
    seen = wildcard.receive_until_quiet(QUIET_SECONDS)
    assert not [m for m in seen if m.topic.startswith("$")], seen
    plain = [m.payload for m in ours(seen, prefix)]
    assert plain in ([b"plain"], [b"plain", b"plain"]), "one copy, or one per matching filter"


@pytest.mark.xfail_for_mosquitto(
    reason="Mosquitto 2.0.11 sends one copy at the QoS of the most specific matching filter (QoS 1 "
    "here), not the highest, against MQTT-3.3.5-1 (measured; eclipse-mosquitto/mosquitto#3319)"
)
def test_overlapping_subscriptions_deliver_at_the_highest_qos(clients, prefix):
    subscriber = clients()
    assert subscriber.subscribe([(f"{prefix}/A/#", 2), (f"{prefix}/A/+", 1)]) == [2, 1]
    clients().publish(f"{prefix}/A/B", b"overlap", qos=2)
    received = subscriber.receive(1) + subscriber.receive_until_quiet(QUIET_SECONDS)
    assert all(m.payload == b"overlap" for m in received)
    qualities = sorted(m.qos for m in received)
    assert qualities in ([2], [1, 2]), f"one copy at QoS 2 or copies at 1 and 2, got {received}"


def test_unsubscribe_stops_only_that_filter(clients, prefix):
    subscriber = clients()
    assert subscriber.subscribe([(f"{prefix}/a", 1), (f"{prefix}/b", 1), (f"{prefix}/c", 1)]) == [1, 1, 1]
    subscriber.unsubscribe(f"{prefix}/b")
    publisher = clients()
    for name in "abc":
        publisher.publish(f"{prefix}/{name}", name.encode(), qos=1)
    received = subscriber.receive(2) + subscriber.receive_until_quiet(QUIET_SECONDS)
    assert sorted(m.topic for m in received) == [f"{prefix}/a", f"{prefix}/c"]


@pytest.mark.xfail_for_mosquitto(
    reason="Mosquitto has no subscribe deny list: with acl_file it grants every subscription and "
    "filters deliveries instead of returning 0x80 (eclipse-mosquitto/mosquitto#2042)"
)
def test_denied_subscription_gets_return_code_0x80(clients, prefix):
    subscriber = clients()
    assert subscriber.subscribe([(f"{prefix}/allowed", 1), (DENIED_FILTER, 0)]) == [1, 0x80]


# --- Sessions [MQTT-3.2.2-1/-2, 4.4.0-1, 4.5.0-1, 3.1.4-2]


def test_offline_messages_are_queued_for_clean_session_0(clients, prefix):
    client_id = unique_id("offline")
    first = clients(client_id, clean=False)
    assert first.session_present is False
    assert first.subscribe([(f"{prefix}/+", 2)]) == [2]
    first.disconnect()
    publisher = clients()
    for qos in (0, 1, 2):
        publisher.publish(f"{prefix}/q", f"qos{qos}".encode(), qos=qos)
    second = clients(client_id, clean=False)
    assert second.session_present is True
    received = second.receive(2) + second.receive_until_quiet(QUIET_SECONDS)
    payloads = sorted(m.payload for m in received)
    assert payloads in ([b"qos1", b"qos2"], [b"qos0", b"qos1", b"qos2"]), received
    second.disconnect()
    clean = clients(client_id, clean=True)
    assert clean.session_present is False
    clean.disconnect()
    again = clients(client_id, clean=False)
    assert again.session_present is False, "clean session 1 must discard the stored session"


def test_unacknowledged_publishes_are_resent_with_dup_on_reconnect(broker, clients, prefix):
    client_id = unique_id("redeliver")
    topic = f"{prefix}/redeliver"
    with raw_client(broker) as silent:
        assert silent.connect(client_id, clean=False)[0] == 0
        assert subscribe_raw(silent, 1, [(topic, 2)]) == [2]
        publisher = clients()
        publisher.publish(topic, b"one", qos=1)
        publisher.publish(topic, b"two", qos=2)
        first = [silent.read(), silent.read()]  # read, never acknowledged
    assert [(p.type, p.qos, p.payload, p.dup) for p in first] == [
        (raw.PUBLISH, 1, b"one", False), (raw.PUBLISH, 2, b"two", False)]
    with raw_client(broker) as again:
        assert again.connect(client_id, clean=False) == (0, True)
        resent = [again.read(), again.read()]
        assert [(p.type, p.qos, p.payload, p.dup, p.packet_id) for p in resent] == [
            (p.type, p.qos, p.payload, True, p.packet_id) for p in first]
        again.send(raw.acknowledgement(raw.PUBACK, first[0].packet_id))
        again.send(raw.acknowledgement(raw.PUBREC, first[1].packet_id))
        converse(again, lambda ps: has(ps, raw.PUBREL, first[1].packet_id))
        assert publishes(converse_quietly(again)) == []
        again.disconnect()


@pytest.mark.parametrize("second_connection", ["reconnect", "takeover"])
def test_qos2_outbound_pubrel_is_resent_and_the_message_is_not(broker, clients, prefix, second_connection):
    client_id = unique_id("pubrel")
    topic = f"{prefix}/pubrel"
    first = raw_client(broker)
    assert first.connect(client_id, clean=False)[0] == 0
    assert subscribe_raw(first, 1, [(topic, 2)]) == [2]
    clients().publish(topic, b"exactly-once", qos=2)
    delivered = first.read()
    assert (delivered.type, delivered.qos, delivered.payload) == (raw.PUBLISH, 2, b"exactly-once")
    first.send(raw.acknowledgement(raw.PUBREC, delivered.packet_id))
    pubrel = first.read()
    assert (pubrel.type, pubrel.packet_id) == (raw.PUBREL, delivered.packet_id)
    if second_connection == "reconnect":
        first.close()
    with raw_client(broker) as second:
        assert second.connect(client_id, clean=False) == (0, True)
        if second_connection == "takeover":
            assert first.closed_within(WAIT_SECONDS), "the first connection must be closed on takeover"
            first.close()
        resent = second.read()
        assert (resent.type, resent.packet_id) == (raw.PUBREL, delivered.packet_id)
        second.send(raw.acknowledgement(raw.PUBCOMP, delivered.packet_id))
        assert publishes(converse_quietly(second)) == []
        second.disconnect()
    with raw_client(broker) as third:
        assert third.connect(client_id, clean=False) == (0, True)
        assert converse_quietly(third) == [], "nothing may be resent once PUBCOMP was sent"
        third.disconnect()


@pytest.mark.parametrize("second_connection", ["reconnect", "takeover"])
def test_qos2_inbound_is_delivered_once_when_the_publisher_resends(broker, clients, prefix, second_connection):
    client_id = unique_id("inbound")
    topic = f"{prefix}/inbound"
    subscriber = clients()
    assert subscriber.subscribe([(topic, 2)]) == [2]
    first = raw_client(broker)
    assert first.connect(client_id, clean=False)[0] == 0
    first.send(raw.publish(topic, b"once", qos=2, packet_id=7))
    pubrec = first.read()
    assert (pubrec.type, pubrec.packet_id) == (raw.PUBREC, 7)
    if second_connection == "reconnect":
        first.close()
    with raw_client(broker) as second:
        assert second.connect(client_id, clean=False) == (0, True)
        if second_connection == "takeover":
            assert first.closed_within(WAIT_SECONDS), "the first connection must be closed on takeover"
            first.close()
        second.send(raw.publish(topic, b"once", qos=2, packet_id=7, dup=True))
        assert (lambda p: (p.type, p.packet_id))(second.read()) == (raw.PUBREC, 7)
        second.send(raw.acknowledgement(raw.PUBREL, 7))
        assert (lambda p: (p.type, p.packet_id))(second.read()) == (raw.PUBCOMP, 7)
        second.disconnect()
    received = subscriber.receive(1) + subscriber.receive_until_quiet(QUIET_SECONDS)
    assert [m.payload for m in received] == [b"once"]


# --- Retained [MQTT-3.3.1-5..11]


def test_retained_messages_go_to_new_subscriptions_and_zero_length_clears_them(clients, prefix):
    publisher = clients()
    for qos in (0, 1, 2):
        publisher.publish(f"{prefix}/retained{qos}", f"qos{qos}".encode(), qos=qos, retain=True)
    subscriber = clients()
    assert subscriber.subscribe([("+/+", 2)]) == [2]
    received = ours(subscriber.receive_until_quiet(QUIET_SECONDS), prefix)
    assert sorted((m.topic, m.payload, m.qos, m.retain) for m in received) == [
        (f"{prefix}/retained{qos}", f"qos{qos}".encode(), qos, True) for qos in (0, 1, 2)]
    for qos in (0, 1, 2):
        publisher.publish(f"{prefix}/retained{qos}", b"", qos=1, retain=True)
    forwarded = ours(subscriber.receive_until_quiet(QUIET_SECONDS), prefix)
    assert sorted((m.topic, m.payload, m.retain) for m in forwarded) == [
        (f"{prefix}/retained{qos}", b"", False) for qos in (0, 1, 2)]
    late = clients()
    assert late.subscribe([("+/+", 2)]) == [2]
    assert ours(late.receive_until_quiet(QUIET_SECONDS), prefix) == []


def test_retain_flag_is_0_when_forwarded_live_and_1_on_new_subscription(clients, prefix):
    topic = f"{prefix}/live"
    existing = clients()
    assert existing.subscribe([(topic, 1)]) == [1]
    publisher = clients()
    publisher.publish(topic, b"live", qos=1, retain=True)
    [live] = existing.receive(1)
    assert (live.payload, live.retain) == (b"live", False)
    newcomer = clients()
    assert newcomer.subscribe([(topic, 1)]) == [1]
    [stored] = newcomer.receive(1)
    assert (stored.payload, stored.retain) == (b"live", True)
    publisher.publish(topic, b"", qos=1, retain=True)


RETAINED_MANY = 3_000


@pytest.mark.xfail_for_mosquitto(
    reason="Mosquitto 2.0.11 sends 1,020 of the 3,000: max_inflight_messages (20) plus "
    "max_queued_messages (1,000), retained messages on SUBSCRIBE included; the rest are dropped "
    "(mosquitto.conf(5))")
def test_thousands_of_retained_messages_all_reach_a_new_subscriber(broker, prefix):
    """Every retained message of a filter is sent, however many ([MQTT-3.3.1-6]); irisd streams
    them in pages within the subscriber's window (SPEC.md §16.5)."""
    topics = [f"{prefix}/many/{index:05}" for index in range(RETAINED_MANY)]
    with raw_client(broker) as publisher:
        assert publisher.connect(unique_id("retainer"))[0] == 0
        publisher.send(b"".join(
            raw.publish(topic, topic.encode(), qos=1, packet_id=index + 1, retain=True)
            for index, topic in enumerate(topics)))
        acknowledged = set()
        deadline = time.monotonic() + 60
        while len(acknowledged) < RETAINED_MANY:
            received = publisher.read(max(0.0, deadline - time.monotonic()))
            if received.type == raw.PUBACK:
                acknowledged.add(received.packet_id)
        publisher.disconnect()
    with raw_client(broker) as subscriber:
        assert subscriber.connect(unique_id("newcomer"))[0] == 0
        assert subscribe_raw(subscriber, 1, [(f"{prefix}/many/+", 1)]) == [1]
        received = []
        deadline = time.monotonic() + 60
        while len(received) < RETAINED_MANY and time.monotonic() < deadline:
            try:
                packet = subscriber.read(min(WAIT_SECONDS, max(0.0, deadline - time.monotonic())))
            except socket.timeout:
                break  # nothing more is coming
            if packet.type == raw.PUBLISH:
                received.append(packet)
                subscriber.send(raw.acknowledgement(raw.PUBACK, packet.packet_id))
        assert sorted(p.topic for p in received) == topics
        assert all(p.retain and p.qos == 1 and p.payload == p.topic.encode() for p in received)
        assert publishes(subscriber.read_all(QUIET_SECONDS)) == []
        subscriber.disconnect()


# --- Will [MQTT-3.1.2-8, 3.1.2-24, 3.14.4-3]


def will_subscriber(clients, topic):
    """A connected client subscribed at QoS 2 to the will topic."""
    subscriber = clients()
    assert subscriber.subscribe([(topic, 2)]) == [2]
    return subscriber


def test_will_is_published_on_abrupt_close(broker, clients, prefix):
    subscriber = will_subscriber(clients, f"{prefix}/will")
    client = raw_client(broker)
    assert client.connect(unique_id("will"), will=(f"{prefix}/will", b"gone", 1, False))[0] == 0
    client.close()
    [will] = subscriber.receive(1)
    assert (will.topic, will.payload, will.qos) == (f"{prefix}/will", b"gone", 1)


def test_will_is_published_on_keepalive_expiry(broker, clients, prefix):
    subscriber = will_subscriber(clients, f"{prefix}/will")
    with raw_client(broker) as client:
        code, _ = client.connect(unique_id("keepalive"), keepalive=2, will=(f"{prefix}/will", b"expired", 2, False))
        assert code == 0
        started = time.monotonic()
        assert client.closed_within(6.0), "a silent client must be closed after 1.5 x keep-alive"
        elapsed = time.monotonic() - started
        assert 2.0 <= elapsed <= 4.5, f"closed after {elapsed:.2f} s, expected about 3 s"
    [will] = subscriber.receive(1)
    assert (will.payload, will.qos) == (b"expired", 2)


def test_no_will_after_disconnect(broker, clients, prefix):
    subscriber = will_subscriber(clients, f"{prefix}/will")
    with raw_client(broker) as client:
        assert client.connect(unique_id("polite"), will=(f"{prefix}/will", b"never", 1, False))[0] == 0
        client.disconnect()
    assert subscriber.receive_until_quiet(QUIET_SECONDS) == []


# --- Limits and malformed input [MQTT-3.3.1-4, 1.5.3-1, 3.3.2-2]

TWO_MIB = 2 * 1024 * 1024


def test_large_publish_is_refused_or_accepted_per_broker_limit(broker, prefix):
    topic = f"{prefix}/large"
    with raw_client(broker) as client:
        assert client.connect(unique_id("large"))[0] == 0
        big = raw.publish(topic, bytes(TWO_MIB), qos=1, packet_id=1)
        if broker.enforces_max_packet_size:
            try:
                client.send(big)
            except OSError:
                pass  # closed while we were still sending: the expected outcome
            assert client.closed_within(WAIT_SECONDS), "a publish over the maximum packet size must close"
        else:
            client.send(big)
            assert client.read_until(raw.PUBACK)[0].packet_id == 1
            client.disconnect()
    assert_serves_new_client(broker, prefix)


MALFORMED = {
    "qos 3 publish": lambda prefix: raw.publish(f"{prefix}/x", b"bad", qos=3, packet_id=1),
    "invalid UTF-8 topic": lambda prefix: raw.publish(prefix.encode() + b"/\xc3\x28", b"bad"),
    "plus wildcard in topic": lambda prefix: raw.publish(f"{prefix}/+/x", b"bad"),
    "hash wildcard in topic": lambda prefix: raw.publish(f"{prefix}/#", b"bad"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_publish_closes_and_broker_keeps_serving(broker, prefix, case):
    with raw_client(broker) as client:
        assert client.connect(unique_id("malformed"))[0] == 0
        client.send(MALFORMED[case](prefix))
        assert client.closed_within(WAIT_SECONDS), f"{case} must close the connection"
    assert_serves_new_client(broker, prefix)


# --- Command-line clients (mosquitto_pub / mosquitto_sub from Debian)


def run_tool(*arguments):
    """Runs a command-line client, bounded in time."""
    return subprocess.run(list(arguments), capture_output=True, text=True, timeout=WAIT_SECONDS * 2)


@pytest.mark.skipif(not shutil.which("mosquitto_sub"), reason="needs mosquitto-clients (Scripts/install-deps.sh)")
def test_mosquitto_pub_qos1_and_mosquitto_sub_round_trip(broker, prefix):
    address = ["-h", broker.host, "-p", str(broker.port)]
    session = ["-i", unique_id("cli"), "-c", "-q", "1", "-t", f"{prefix}/cli"]
    subscribed = run_tool("mosquitto_sub", *address, *session, "-E")
    assert subscribed.returncode == 0, subscribed.stderr
    for index in range(3):
        published = run_tool("mosquitto_pub", *address, "-q", "1", "-t", f"{prefix}/cli", "-m", f"line {index}")
        assert published.returncode == 0, published.stderr
    received = run_tool("mosquitto_sub", *address, *session, "-C", "3", "-W", "5")
    assert received.returncode == 0, received.stderr
    assert received.stdout.splitlines() == ["line 0", "line 1", "line 2"]
