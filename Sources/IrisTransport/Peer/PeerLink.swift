import DequeModule
import IrisReplication
import NIOCore
import Synchronization

/// Everything this node sends to one peer, over the one connection of that node pair (SPEC.md
/// §9.5.6, §14.3). Two queues: small messages (votes, heartbeats, responses), always sent first
/// and coalesced into one frame per flush; and bulk messages (AppendRequests with frames),
/// bounded in bytes, sent only while the connection is writable. A slow or dead peer costs at
/// most `bulkBytesMax` of memory: beyond it new bulk messages are dropped (the leader resends
/// what was lost), and the quorum never waits for it.
final class PeerLink: Sendable {
    let peer: NodeID
    let header: PeerFrameHeader
    let limits: PeerWireLimits
    let bulkBytesMax: Int

    private struct State {
        var channel: (any Channel)?
        var control: [PartitionMessage] = []
        var bulk = Deque<(message: PartitionMessage, bytes: Int)>()
        var bulkBytes = 0
        var flushScheduled = false
    }

    private let state = Mutex(State())
    /// Messages dropped because the peer was unreachable or its queue full.
    let dropped = Atomic<Int>(0)

    init(peer: NodeID, header: PeerFrameHeader, limits: PeerWireLimits, bulkBytesMax: Int) {
        self.peer = peer
        self.header = header
        self.limits = limits
        self.bulkBytesMax = bulkBytesMax
    }

    /// Bytes of bulk messages waiting.
    var queuedBytes: Int { state.withLock { $0.bulkBytes } }

    /// Whether a connection is attached.
    var isConnected: Bool { state.withLock { $0.channel != nil } }

    /// Queues a message and schedules a flush. Without a connection the message is dropped:
    /// the protocol resends what matters once the peer is back.
    func send(_ message: PartitionMessage) {
        let bytes = PeerWire.encodedBytes(of: message)
        let isBulk = if case .appendRequest(let request) = message.envelope.message { !request.frames.isEmpty } else { false }
        enum Outcome { case dropped, queued, flush(any Channel) }
        let outcome: Outcome = state.withLock { state in
            guard let channel = state.channel else { return .dropped }
            if isBulk {
                guard state.bulkBytes + bytes <= bulkBytesMax else { return .dropped }
                state.bulk.append((message, bytes))
                state.bulkBytes += bytes
            } else {
                state.control.append(message)
            }
            if state.flushScheduled { return .queued }
            state.flushScheduled = true
            return .flush(channel)
        }
        switch outcome {
        case .dropped: dropped.add(1, ordering: .relaxed)
        case .queued: break
        case .flush(let channel): channel.eventLoop.execute { self.flush(on: channel) }
        }
    }

    /// Makes `channel` the connection to the peer (after its HELLO), replacing any older one.
    func attach(_ channel: any Channel) {
        let old = state.withLock { state in
            defer { state.channel = channel }
            return state.channel
        }
        if let old, old !== channel { old.close(promise: nil) }
    }

    /// Forgets `channel` if it is the current connection; queued messages are dropped.
    func detach(_ channel: any Channel) {
        state.withLock { state in
            guard state.channel === channel else { return }
            state.channel = nil
            dropped.add(state.control.count + state.bulk.count, ordering: .relaxed)
            state.control.removeAll()
            state.bulk.removeAll()
            state.bulkBytes = 0
            state.flushScheduled = false
        }
    }

    /// Writes what is queued: every small message, coalesced into as few frames as the limits
    /// allow, then bulk messages while the connection is writable. Runs on the channel's loop.
    func flush(on channel: any Channel) {
        let writable = channel.isWritable
        let (control, bulk): ([PartitionMessage], [PartitionMessage]) = state.withLock { state in
            state.flushScheduled = false
            guard state.channel === channel else { return ([], []) }
            let control = state.control
            state.control.removeAll(keepingCapacity: true)
            var bulk: [PartitionMessage] = []
            if writable {
                bulk = state.bulk.map(\.message)
                state.bulk.removeAll()
                state.bulkBytes = 0
            }
            return (control, bulk)
        }
        guard !control.isEmpty || !bulk.isEmpty else { return }
        for frame in frames(control) + frames(bulk) {
            channel.write(ByteBuffer(bytes: frame), promise: nil)
        }
        channel.flush()
    }

    /// Called when the connection becomes writable again: sends the bulk that waited.
    func writabilityChanged(on channel: any Channel) {
        guard channel.isWritable else { return }
        flush(on: channel)
    }

    /// MESSAGES frames holding `messages` in order, each within the frame and count limits.
    private func frames(_ messages: [PartitionMessage]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var current: [PartitionMessage] = []
        var bytes = PeerWire.headerBytes + 4
        for message in messages {
            let size = PeerWire.encodedBytes(of: message)
            if !current.isEmpty, bytes + size > limits.peerFrameBytesMax || current.count == limits.messagesPerPeerFrameMax {
                frames.append(PeerWire.encodeMessages(header, current))
                current.removeAll(keepingCapacity: true)
                bytes = PeerWire.headerBytes + 4
            }
            current.append(message)
            bytes += size
        }
        if !current.isEmpty { frames.append(PeerWire.encodeMessages(header, current)) }
        return frames
    }
}
