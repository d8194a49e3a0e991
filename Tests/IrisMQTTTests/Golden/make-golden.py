#!/usr/bin/env python3
"""Golden MQTT 3.1.1 packets for Tests/IrisMQTTTests/GoldenPacketTests.swift, written by an encoder
independent of Iris: paho-mqtt 2.2's own packet building for what a client sends (CONNECT, PUBLISH,
PUBACK/PUBREC/PUBREL/PUBCOMP, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, PINGRESP, DISCONNECT), and a few
lines from the OASIS specification (mqtt-v3.1.1-os §3.2, §3.9, §3.11) for what only a server
sends (CONNACK, SUBACK, UNSUBACK), which paho has no encoder for.

Usage: make-golden.py               prints `("name", "hex"),` lines to paste into the test
       make-golden.py --corpus DIR  also writes each packet to DIR/NAME and all of them, one after
                                    another, to DIR/stream (the seed corpus of Fuzz/FuzzMQTTPacket:
                                    --corpus Fuzz/corpus/FuzzMQTTPacket)
Needs: pip install paho-mqtt==2.2.0
"""

import os
import struct
import sys

import paho.mqtt.client as mqtt


class NoSocket:
    """Stands in for the socket paho checks for; nothing is ever written to it."""

    def close(self):
        pass


class CapturingClient(mqtt.Client):
    """A paho client whose packets are captured instead of written to a socket."""

    def __init__(self, **kwargs):
        super().__init__(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311, **kwargs)
        self._sock = NoSocket()  # _send_publish refuses to build a packet without a socket
        self.captured = []

    def _packet_queue(self, command, packet, mid, qos, info=None):
        self.captured.append(bytes(packet))
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    def take(self):
        (packet,) = self.captured
        self.captured = []
        return packet


def connect(client_id, clean_session, keepalive, will=None, username=None, password=None):
    client = CapturingClient(client_id=client_id, clean_session=clean_session)
    if will is not None:
        client.will_set(*will)
    if username is not None:
        client.username_pw_set(username, password)
    client._send_connect(keepalive)
    return client.take()


def client_packet(build):
    client = CapturingClient(client_id="golden")
    build(client)
    return client.take()


def with_mid(mid, build):
    def run(client):
        client._last_mid = mid - 1  # _mid_generate returns _last_mid + 1
        build(client)
    return run


def remaining_length(n):
    out = bytearray()
    while True:
        digit, n = n % 128, n // 128
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def server_packet(packet_type, body):
    """Fixed header (type << 4, flags 0) and remaining length, per OASIS §2.2."""
    return bytes([packet_type << 4]) + remaining_length(len(body)) + body


PACKETS = [
    ("connectMinimal", connect("iris-1", True, 60)),
    ("connectFull", connect("client-\u00e9", False, 300, will=("status/client-1", b"offline", 1, True),
                            username="user", password=b"p\x00ss")),
    ("connectEmptyClientIDUsernameOnly", connect("", True, 0, username="")),
    ("connectWillQoS2", connect("w", True, 65535, will=("last/will", b"", 2, False), username="u\u4e2d", password=b"")),
    ("connackSessionPresent", server_packet(2, bytes([0x01, 0x00]))),
    ("connackNotAuthorized", server_packet(2, bytes([0x00, 0x05]))),
    ("publishQoS0", client_packet(lambda c: c._send_publish(0, b"a/b", b"hello", 0, False, False))),
    ("publishQoS1RetainEmpty", client_packet(lambda c: c._send_publish(10, b"sensors/\xf0\x9f\x8c\xa1", b"", 1, True, False))),
    ("publishQoS2Duplicate", client_packet(lambda c: c._send_publish(65535, b"sport/tennis/player1", bytes(range(200)), 2, False, True))),
    ("puback", client_packet(lambda c: c._send_puback(1))),
    ("pubrec", client_packet(lambda c: c._send_pubrec(0x1234))),
    ("pubrel", client_packet(lambda c: c._send_pubrel(0xBEEF))),
    ("pubcomp", client_packet(lambda c: c._send_pubcomp(7))),
    ("subscribe", client_packet(with_mid(3, lambda c: c._send_subscribe(False, [(b"sport/tennis/+", 2), (b"#", 0), (b"$SYS/#", 1)])))),
    ("suback", server_packet(9, struct.pack("!H", 3) + bytes([0x02, 0x80, 0x00, 0x01]))),
    ("unsubscribe", client_packet(with_mid(4, lambda c: c._send_unsubscribe(False, [b"a/b", b"+/+"])))),
    ("unsuback", server_packet(11, struct.pack("!H", 4))),
    ("pingreq", client_packet(lambda c: c._send_pingreq())),
    ("pingresp", client_packet(lambda c: c._send_pingresp())),
    ("disconnect", client_packet(lambda c: c._send_disconnect())),
]


def main():
    corpus = None
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        corpus = sys.argv[2]
        os.makedirs(corpus, exist_ok=True)
    elif len(sys.argv) != 1:
        sys.exit(__doc__)
    for name, packet in PACKETS:
        print(f'("{name}", "{packet.hex()}"),')
        if corpus:
            with open(os.path.join(corpus, name), "wb") as f:
                f.write(packet)
    if corpus:
        with open(os.path.join(corpus, "stream"), "wb") as f:
            f.write(b"".join(packet for _, packet in PACKETS))


if __name__ == "__main__":
    main()
