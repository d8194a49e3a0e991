import IrisMQTT
import NIOCore

/// A publisher to one topic keeping up to `inflightMax` messages unacknowledged (1 = closed loop): publish, wait
/// for PUBACK (QoS 1) or PUBCOMP (QoS 2), publish the next. At QoS 0 a message counts as done once written to
/// the socket. Publishing stops at the end of the window.
final class BenchPublisher: BenchClient, @unchecked Sendable {
    private let topic: TopicName
    private let qos: QoS
    private let payloadBytes: Int
    private let inflightMax: Int
    private var window = MeasureWindow.never
    private var pending: [UInt16: UInt64] = [:]
    private var writesInFlight = 0
    private var lastPacketID: UInt16 = 0
    /// Messages sent.
    private(set) var published: UInt64 = 0
    /// Messages acknowledged (PUBACK/PUBCOMP; at QoS 0, written).
    private(set) var acknowledged: UInt64 = 0
    /// Publish-to-acknowledgement latency of messages published inside the window (QoS 1 and 2).
    private(set) var acknowledgement = LatencyHistogram()

    init(loop: any EventLoop, clientID: String, topic: TopicName, qos: QoS, payloadBytes: Int, inflightMax: Int) {
        precondition(inflightMax >= 1 && inflightMax < Int(UInt16.max), "in-flight bound checked by the command")
        self.topic = topic
        self.qos = qos
        self.payloadBytes = payloadBytes
        self.inflightMax = inflightMax
        super.init(loop: loop, clientID: clientID)
    }

    /// Whether nothing sent is still waiting for its acknowledgement.
    var isDrained: Bool { pending.isEmpty && writesInFlight == 0 }

    /// Starts publishing until the end of `window`.
    func begin(_ window: MeasureWindow) {
        self.window = window
        for _ in 0..<inflightMax { publishNext() }
    }

    override func handle(_ packet: MQTTPacket) {
        switch packet {
        case .puback(let packetID) where qos == .atLeastOnce:
            complete(packetID)
        case .pubrec(let packetID) where qos == .exactlyOnce:
            send(.pubrel(packetID: packetID))
        case .pubcomp(let packetID) where qos == .exactlyOnce:
            complete(packetID)
        default:
            recordError("unexpected \(packet.type)")
        }
    }

    private func publishNext() {
        let now = BenchPayload.now()
        guard now < window.endNanoseconds else { return }
        let payload = BenchPayload.make(sequence: published, sentNanoseconds: now, size: payloadBytes)
        published += 1
        if qos == .atMostOnce {
            writesInFlight += 1
            send(.publish(Publish(topic: topic, payload: payload, qos: .atMostOnce))).whenComplete { [self] result in
                writesInFlight -= 1
                switch result {
                case .success: acknowledged += 1
                case .failure(let error): recordError("write failed: \(error)")
                }
                // Through the loop, not inline: a write that completes at once would otherwise recurse.
                loop.execute { self.publishNext() }
            }
            return
        }
        let packetID = nextPacketID()
        pending[packetID] = now
        send(.publish(Publish(topic: topic, payload: payload, qos: qos, packetID: packetID)))
    }

    private func complete(_ packetID: UInt16) {
        guard let sent = pending.removeValue(forKey: packetID) else {
            recordError("acknowledgement for unknown packet ID \(packetID)")
            return
        }
        acknowledged += 1
        if window.contains(sent) { acknowledgement.record((BenchPayload.now() - sent) / 1000) }
        publishNext()
    }

    private func nextPacketID() -> UInt16 {
        repeat {
            lastPacketID = lastPacketID == UInt16.max ? 1 : lastPacketID + 1
        } while pending[lastPacketID] != nil
        return lastPacketID
    }
}
