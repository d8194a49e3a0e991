import IrisMQTT
import NIOCore

/// One client connection as the router sees it: past a valid CONNECT, until `closed` is reported.
/// Thread-safe: every member may be called from any thread.
public protocol MQTTConnection: AnyObject, Sendable {
    /// Unique in the process; stable for the connection's life.
    var id: ConnectionID { get }

    /// The peer's address ("127.0.0.1:52144"), for log lines.
    var remoteDescription: String { get }

    /// Writes the packets in order and flushes. Packets sent from one thread go out in the order
    /// of the calls. Ignored once `close(reason:)` was called or the connection closed.
    func send(_ packets: [MQTTPacket])

    /// Flushes what was sent, then closes. The delegate's `closed` follows (once), with
    /// `graceful` false and a reason that starts "closed by the router: ". A client that does
    /// not take the flushed bytes within `MQTTServer.Configuration.closeFlushSeconds` is cut off.
    func close(reason: String)

    /// False while the bytes written but not yet taken by the socket exceed
    /// `MQTTServer.Configuration.outboxHighWaterBytes`; the delegate's `writable(_:)` is called
    /// when they drop below `outboxLowWaterBytes`. While it is false the edge also stops reading
    /// from the client (backpressure), so a client that sends but never reads cannot grow the outbox.
    var isWritable: Bool { get }

    /// The event loop the connection's delegate calls come from: work scheduled here is ordered
    /// with them.
    var eventLoop: any EventLoop { get }
}
