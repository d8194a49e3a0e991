"""MQTT 3.1.1 packets built by hand, and a socket client that sends exactly what a test says.

The tests need what a well-behaved library will not do: send PUBLISH before SUBACK arrives,
stop acknowledging, send malformed packets, resend a QoS 2 PUBLISH after PUBREC. Everything
here follows the OASIS mqtt-v3.1.1-os packet layouts (§2, §3); nothing validates what it
builds, so a test can build invalid packets on purpose.
"""

import socket
import struct
import time

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14


class ProtocolError(Exception):
    """The broker sent something this client cannot parse, or not what the caller waited for."""


class ConnectionClosed(Exception):
    """The broker closed the connection (end of stream or reset)."""


def remaining_length(count):
    """The variable-length encoding of a remaining length (§2.2.3)."""
    encoded = bytearray()
    while True:
        digit, count = count % 128, count // 128
        encoded.append(digit | (0x80 if count else 0))
        if not count:
            return bytes(encoded)


def string(value):
    """A length-prefixed string field; `value` may be raw bytes (to send invalid UTF-8)."""
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return struct.pack("!H", len(data)) + data


def packet(packet_type, flags, body):
    """A whole packet: fixed header, remaining length, body."""
    return bytes([(packet_type << 4) | flags]) + remaining_length(len(body)) + body


def connect(client_id, clean=True, keepalive=60, will=None, protocol_name="MQTT", level=4):
    """CONNECT; `will` is (topic, payload bytes, qos, retain) or None."""
    flags = 0x02 if clean else 0x00
    payload = string(client_id)
    if will is not None:
        topic, message, qos, retain = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += string(topic) + string(message)
    header = string(protocol_name) + bytes([level, flags]) + struct.pack("!H", keepalive)
    return packet(CONNECT, 0, header + payload)


def publish(topic, payload, qos=0, packet_id=None, retain=False, dup=False):
    """PUBLISH; qos 3 is allowed here so a test can send the malformed form."""
    flags = (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = string(topic)
    if qos > 0:
        body += struct.pack("!H", packet_id)
    return packet(PUBLISH, flags, body + bytes(payload))


def subscribe(packet_id, filters):
    """SUBSCRIBE with [(filter, qos), ...]."""
    body = struct.pack("!H", packet_id)
    for topic_filter, qos in filters:
        body += string(topic_filter) + bytes([qos])
    return packet(SUBSCRIBE, 0x02, body)


def unsubscribe(packet_id, filters):
    """UNSUBSCRIBE with [filter, ...]."""
    body = struct.pack("!H", packet_id) + b"".join(string(f) for f in filters)
    return packet(UNSUBSCRIBE, 0x02, body)


def acknowledgement(packet_type, packet_id):
    """PUBACK, PUBREC, PUBREL (flags 0010) or PUBCOMP for a packet id."""
    return packet(packet_type, 0x02 if packet_type == PUBREL else 0, struct.pack("!H", packet_id))


def pingreq():
    """PINGREQ."""
    return packet(PINGREQ, 0, b"")


def disconnect():
    """DISCONNECT."""
    return packet(DISCONNECT, 0, b"")


class Packet:
    """One received packet: type, fixed-header flags and body, with accessors per type."""

    def __init__(self, packet_type, flags, body):
        self.type = packet_type
        self.flags = flags
        self.body = body

    @property
    def qos(self):
        """A PUBLISH's QoS."""
        return (self.flags >> 1) & 0x03

    @property
    def dup(self):
        """A PUBLISH's DUP flag."""
        return bool(self.flags & 0x08)

    @property
    def retain(self):
        """A PUBLISH's RETAIN flag."""
        return bool(self.flags & 0x01)

    @property
    def topic(self):
        """A PUBLISH's topic name."""
        (length,) = struct.unpack_from("!H", self.body, 0)
        return self.body[2 : 2 + length].decode("utf-8")

    @property
    def packet_id(self):
        """The packet id of a PUBLISH with QoS > 0, an acknowledgement, SUBACK or UNSUBACK."""
        if self.type == PUBLISH:
            (length,) = struct.unpack_from("!H", self.body, 0)
            return struct.unpack_from("!H", self.body, 2 + length)[0] if self.qos else None
        return struct.unpack_from("!H", self.body, 0)[0]

    @property
    def payload(self):
        """A PUBLISH's application message."""
        (length,) = struct.unpack_from("!H", self.body, 0)
        return self.body[2 + length + (2 if self.qos else 0) :]

    @property
    def return_codes(self):
        """A SUBACK's return codes, in order."""
        return list(self.body[2:])

    def __repr__(self):
        return f"Packet(type={self.type}, flags={self.flags:#x}, body={self.body[:40]!r})"


class RawClient:
    """A blocking socket to the broker that sends bytes as given and reads whole packets."""

    def __init__(self, host, port, timeout=5.0):
        self.socket = socket.create_connection((host, port), timeout=timeout)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.timeout = timeout

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the socket without DISCONNECT (an abrupt close, as far as the broker knows)."""
        self.socket.close()

    def send(self, data):
        """Sends bytes as they are."""
        self.socket.sendall(data)

    def connect(self, client_id, clean=True, keepalive=60, will=None):
        """Sends CONNECT and returns (return code, session present) from the CONNACK."""
        self.send(connect(client_id, clean=clean, keepalive=keepalive, will=will))
        reply = self.read(self.timeout)
        if reply.type != CONNACK or len(reply.body) != 2:
            raise ProtocolError(f"expected CONNACK, got {reply!r}")
        return reply.body[1], bool(reply.body[0] & 0x01)

    def disconnect(self):
        """Sends DISCONNECT and closes the socket."""
        try:
            self.send(disconnect())
        finally:
            self.close()

    def read(self, timeout=None):
        """The next whole packet; raises ConnectionClosed on end of stream, socket.timeout on time."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            parsed = self._parse()
            if parsed is not None:
                return parsed
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no whole packet before the deadline")
            self.socket.settimeout(left)
            try:
                chunk = self.socket.recv(65536)
            except (ConnectionResetError, BrokenPipeError) as error:
                raise ConnectionClosed(str(error)) from error
            if not chunk:
                raise ConnectionClosed("end of stream")
            self.buffer += chunk

    def read_until(self, packet_type, timeout=None):
        """Reads packets until one of `packet_type`; returns (it, the packets read before it)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        skipped = []
        while True:
            received = self.read(max(0.0, deadline - time.monotonic()))
            if received.type == packet_type:
                return received, skipped
            skipped.append(received)

    def read_all(self, quiet_seconds):
        """Every packet that arrives until none has for `quiet_seconds` (stops at a close)."""
        received = []
        while True:
            try:
                received.append(self.read(quiet_seconds))
            except (socket.timeout, ConnectionClosed):
                return received

    def closed_within(self, timeout):
        """Whether the broker closes the connection within `timeout`, ignoring packets meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                self.read(left)
            except ConnectionClosed:
                return True
            except socket.timeout:
                return False
            except OSError:
                return True

    def _parse(self):
        """Removes and returns one whole packet from the buffer, or None if it is incomplete."""
        if len(self.buffer) < 2:
            return None
        count, multiplier, position = 0, 1, 1
        while True:
            if position >= len(self.buffer):
                return None
            if position > 4:
                raise ProtocolError("remaining length longer than 4 bytes")
            digit = self.buffer[position]
            count += (digit & 0x7F) * multiplier
            multiplier *= 128
            position += 1
            if not digit & 0x80:
                break
        end = position + count
        if len(self.buffer) < end:
            return None
        first = self.buffer[0]
        body = bytes(self.buffer[position:end])
        del self.buffer[:end]
        return Packet(first >> 4, first & 0x0F, body)
