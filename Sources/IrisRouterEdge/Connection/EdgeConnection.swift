import IrisMQTT
import NIOCore
import Synchronization

/// The edge's `MQTTConnection`: a channel and what identifies it. Every call is queued on the
/// channel's event loop, even from that loop, so it is safe from any thread, holds no lock, and
/// never calls the delegate back before it returns (a router may call it while holding its own
/// lock; `MQTTConnectionHandler` sees writes and the close request in call order).
final class EdgeConnection: MQTTConnection {
    let id: ConnectionID
    let remoteDescription: String
    private let channel: any Channel
    private let readingPaused = Atomic<Bool>(false)

    init(id: ConnectionID, remoteDescription: String, channel: any Channel) {
        self.id = id
        self.remoteDescription = remoteDescription
        self.channel = channel
    }

    /// Encodes on the calling thread into one buffer: one write and one flush for the batch.
    func send(_ packets: [MQTTPacket]) {
        guard !packets.isEmpty else { return }
        var bytes: [UInt8] = []
        for packet in packets { packet.encode(into: &bytes) }
        let channel = channel
        let encoded = bytes
        channel.eventLoop.execute {
            channel.writeAndFlush(channel.allocator.buffer(bytes: encoded), promise: nil)
        }
    }

    func close(reason: String) {
        let channel = channel
        channel.eventLoop.execute {
            channel.triggerUserOutboundEvent(CloseRequest(reason: reason), promise: nil)
        }
    }

    /// Set at once, from any thread: `MQTTConnectionHandler` tests it before each packet.
    func pauseReading() { readingPaused.store(true, ordering: .releasing) }

    func resumeReading() {
        readingPaused.store(false, ordering: .releasing)
        let channel = channel
        channel.eventLoop.execute {
            channel.triggerUserOutboundEvent(ResumeReadingRequest(), promise: nil)
        }
    }

    /// True between `pauseReading()` and `resumeReading()`.
    var isReadingPaused: Bool { readingPaused.load(ordering: .acquiring) }

    var isWritable: Bool { channel.isWritable }

    var eventLoop: any EventLoop { channel.eventLoop }
}

extension EdgeConnection: CustomStringConvertible {
    /// "connection N from HOST:PORT".
    var description: String { "\(id) from \(remoteDescription)" }
}

extension SocketAddress {
    /// "HOST:PORT" ("[HOST]:PORT" for IPv6), or the address's own description for other kinds.
    var hostAndPort: String {
        guard let ip = ipAddress, let port else { return description }
        if case .v6 = self { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
