"""A paho-mqtt 2.x client for tests: every call waits for its answer, bounded in time."""

import queue
import threading
import time

import paho.mqtt.client as mqtt

WAIT_SECONDS = 5.0


class Message:
    """One received application message."""

    def __init__(self, topic, payload, qos, retain):
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain

    def __repr__(self):
        return f"Message({self.topic!r}, {self.payload!r}, qos={self.qos}, retain={self.retain})"


class PahoClient:
    """paho-mqtt speaking MQTT 3.1.1 with its network loop on a thread; messages go to a queue."""

    def __init__(self, broker, client_id="", clean=True, keepalive=60):
        self.broker = broker
        self.keepalive = keepalive
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean,
            protocol=mqtt.MQTTv311,
        )
        self.messages = queue.Queue()
        self.connected = threading.Event()
        self.session_present = None
        self.connect_failure = None
        self.subscribed = {}
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe

    def connect(self):
        """Connects and returns the CONNACK's session-present flag; raises if refused or silent."""
        self.client.connect(self.broker.host, self.broker.port, keepalive=self.keepalive)
        self.client.loop_start()
        if not self.connected.wait(WAIT_SECONDS):
            raise AssertionError(f"no CONNACK within {WAIT_SECONDS} s")
        if self.connect_failure is not None:
            raise AssertionError(f"CONNECT refused: {self.connect_failure}")
        return self.session_present

    def subscribe(self, filters):
        """Subscribes to [(filter, qos), ...] and returns the SUBACK's return codes."""
        result, mid = self.client.subscribe(filters)
        assert result == mqtt.MQTT_ERR_SUCCESS, f"subscribe not sent: {result}"
        return self._wait_for(self.subscribed, mid)

    def unsubscribe(self, topic_filter):
        """Unsubscribes from one filter and waits for the UNSUBACK."""
        result, mid = self.client.unsubscribe(topic_filter)
        assert result == mqtt.MQTT_ERR_SUCCESS, f"unsubscribe not sent: {result}"
        self._wait_for(self.subscribed, mid)

    def publish(self, topic, payload, qos=0, retain=False):
        """Publishes and waits until the QoS flow completes (PUBACK or PUBCOMP)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(WAIT_SECONDS)
        assert info.is_published(), f"publish to {topic} at QoS {qos} not acknowledged within {WAIT_SECONDS} s"

    def receive(self, count, timeout=WAIT_SECONDS):
        """Exactly `count` messages, waiting at most `timeout` for them in total."""
        deadline = time.monotonic() + timeout
        received = []
        while len(received) < count:
            left = deadline - time.monotonic()
            try:
                received.append(self.messages.get(timeout=max(0.0, left)))
            except queue.Empty:
                raise AssertionError(f"received {len(received)} of {count} messages: {received}") from None
        return received

    def receive_until_quiet(self, quiet_seconds=1.0, limit=1000):
        """Every message until none arrives for `quiet_seconds` (at most `limit` messages)."""
        received = []
        while len(received) < limit:
            try:
                received.append(self.messages.get(timeout=quiet_seconds))
            except queue.Empty:
                break
        return received

    def disconnect(self):
        """Sends DISCONNECT and stops the network loop."""
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            self.connect_failure = str(reason_code)
        self.session_present = bool(flags.session_present)
        self.connected.set()

    def _on_message(self, client, userdata, message):
        self.messages.put(Message(message.topic, message.payload, message.qos, bool(message.retain)))

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self.subscribed[mid] = [code.value for code in reason_codes]

    def _on_unsubscribe(self, client, userdata, mid, reason_codes, properties):
        self.subscribed[mid] = []

    def _wait_for(self, answers, mid):
        deadline = time.monotonic() + WAIT_SECONDS
        while mid not in answers:
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer to packet {mid} within {WAIT_SECONDS} s")
            time.sleep(0.01)
        return answers.pop(mid)
