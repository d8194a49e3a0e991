import IrisMQTT
import NIOCore

/// A subscriber of one topic: acknowledges as its QoS requires, checks sequence numbers for loss, duplicates
/// and order, and records end-to-end latency for deliveries inside the measured window.
final class BenchSubscriber: BenchClient, @unchecked Sendable {
    private let filter: TopicFilter
    private let qos: QoS
    private var window = MeasureWindow.never
    private var seen: [Bool] = []
    private var highestSequence: UInt64?
    /// Distinct sequence numbers received.
    private(set) var uniqueCount = 0
    /// Deliveries of a sequence number already received.
    private(set) var duplicates = 0
    /// Deliveries of a sequence number lower than one already received.
    private(set) var outOfOrder = 0
    /// Deliveries received inside the window.
    private(set) var deliveredInWindow = 0
    /// Publish-to-delivery latency of deliveries inside the window.
    private(set) var endToEnd = LatencyHistogram()

    init(loop: any EventLoop, clientID: String, filter: TopicFilter, qos: QoS) {
        self.filter = filter
        self.qos = qos
        super.init(loop: loop, clientID: clientID)
    }

    override func connected() {
        send(.subscribe(packetID: 1, subscriptions: [Subscription(filter: filter, qos: qos)]))
    }

    override func handle(_ packet: MQTTPacket) {
        switch packet {
        case .suback(_, let returnCodes):
            if returnCodes.contains(.failure) {
                recordError("SUBACK refused \(filter)")
                settleReady(failure: BenchError("\(clientID): SUBACK refused \(filter)"))
            } else {
                settleReady()
            }
        case .publish(let publish):
            deliver(publish)
        case .pubrel(let packetID):
            send(.pubcomp(packetID: packetID))
        default:
            recordError("unexpected \(packet.type)")
        }
    }

    /// Sets the measured interval; deliveries before it only count for loss and duplicates.
    func arm(_ window: MeasureWindow) {
        self.window = window
    }

    /// Sequence numbers below `count` never received.
    func missing(below count: UInt64) -> Int {
        var missing = 0
        for sequence in 0..<Int(count) where sequence >= seen.count || !seen[sequence] { missing += 1 }
        return missing
    }

    private func deliver(_ publish: Publish) {
        switch publish.qos {
        case .atMostOnce: break
        case .atLeastOnce: send(.puback(packetID: publish.packetID))
        case .exactlyOnce: send(.pubrec(packetID: publish.packetID))
        }
        guard let (sequence, sent) = BenchPayload.parse(publish.payload), sequence < 1 << 32 else {
            recordError("payload without a benchmark header on \(publish.topic)")
            return
        }
        let now = BenchPayload.now()
        if window.contains(now) {
            deliveredInWindow += 1
            endToEnd.record(now >= sent ? (now - sent) / 1000 : 0)
        }
        let index = Int(sequence)
        if index >= seen.count { seen.append(contentsOf: repeatElement(false, count: index + 1 - seen.count)) }
        if seen[index] {
            duplicates += 1
        } else {
            seen[index] = true
            uniqueCount += 1
        }
        if let highestSequence, sequence < highestSequence, !publish.duplicate { outOfOrder += 1 }
        highestSequence = max(highestSequence ?? 0, sequence)
    }
}
