import IrisMQTT

/// What the edge calls: the router. Calls for one connection come on that connection's event
/// loop, in the order the packets arrived, never concurrently; calls for different connections
/// may be concurrent. Implementations must not block: the event loop serves many connections.
public protocol MQTTConnectionDelegate: Sendable {
    /// The first packet, a valid CONNECT with protocol level 4 (the client ID may be empty: the
    /// router decides [MQTT-3.1.3-6/-8]). The router answers with CONNACK through `connection`.
    /// A CONNECT of another protocol level never gets here: the edge answers CONNACK 0x01 and closes.
    func connected(_ connect: Connect, on connection: any MQTTConnection)

    /// Every later packet a client may send, except PINGREQ (the edge answers PINGRESP) and
    /// DISCONNECT (reported through `closed` with `graceful` true). Never CONNECT (a second one
    /// closes the connection [MQTT-3.1.0-2]) nor a packet only a server sends (CONNACK, SUBACK,
    /// UNSUBACK, PINGRESP): those close the connection as protocol violations.
    func received(_ packet: MQTTPacket, on connection: any MQTTConnection)

    /// The connection ended: called exactly once for each connection that reached `connected`,
    /// after which the connection ignores `send`. `graceful` is true only when the client sent
    /// DISCONNECT (so its will is discarded [MQTT-3.14.4-3]); every other end counts as a network
    /// failure (the will is published [MQTT-3.1.2-8]). `reason` is for the log: "client sent
    /// DISCONNECT", "client closed the connection", "I/O error: …", "keep-alive expired: …",
    /// "malformed packet: …", "protocol violation: …", "closed by the router: …", "server stopping".
    func closed(_ connection: any MQTTConnection, graceful: Bool, reason: String)

    /// Connections that ended, in the order they ended: what the edge calls. It gathers the
    /// closes of one pass of an event loop (its I/O events) and reports them together once the
    /// pass is done, so a router can handle a mass disconnect in bulk. Each connection that
    /// reached `connected` is in exactly one batch, once. The default calls
    /// `closed(_:graceful:reason:)` for each.
    func closed(_ batch: [ClosedConnection])

    /// The connection's outbox fell below its low-water mark after `isWritable` was false.
    func writable(_ connection: any MQTTConnection)
}

extension MQTTConnectionDelegate {
    /// Reports each close of the batch on its own, in order.
    public func closed(_ batch: [ClosedConnection]) {
        for closed in batch { self.closed(closed.connection, graceful: closed.graceful, reason: closed.reason) }
    }
}
