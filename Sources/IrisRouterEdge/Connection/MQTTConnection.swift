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

    /// Stops reading from the client (admission control, SPEC.md §16.3): no packet after the one
    /// being handled reaches the delegate, and the socket is not read, so TCP pushes back on the
    /// client, until `resumeReading()`. Called while the delegate handles one of this connection's
    /// packets, it takes effect before the next one. Bytes already read are kept (at most one
    /// read's worth); the keep-alive deadline does not pass while reading is paused.
    func pauseReading()

    /// Hands the delegate the packets read before `pauseReading()`, in order, then reads the
    /// socket again (unless the outbox is above its high-water mark). Safe to call for a
    /// connection that is not paused or already closed: it does nothing then.
    func resumeReading()

    /// The event loop the connection's delegate calls come from: work scheduled here is ordered
    /// with them.
    var eventLoop: any EventLoop { get }
}
