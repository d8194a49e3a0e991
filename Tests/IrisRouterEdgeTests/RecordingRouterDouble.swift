import IrisMQTT
import IrisRouterEdge
import Synchronization

/// A test double of the router: records every delegate call, answers CONNECT with CONNACK 0x00
/// and a QoS 1 PUBLISH with PUBACK, and nothing else.
final class RecordingRouterDouble: MQTTConnectionDelegate {
    /// One delegate call.
    enum Event: Equatable, Sendable {
        case connected(ConnectionID, Connect)
        case received(ConnectionID, MQTTPacket)
        case closed(ConnectionID, graceful: Bool, reason: String)
        case writable(ConnectionID)

        var connectionID: ConnectionID {
            switch self {
            case .connected(let id, _), .received(let id, _), .closed(let id, _, _), .writable(let id): return id
            }
        }
    }

    private let state = Mutex<(events: [Event], connections: [any MQTTConnection])>(([], []))

    /// When set, every PUBLISH pauses its connection's reading while it is handled (as admission
    /// control does).
    let pausesOnPublish = Atomic<Bool>(false)

    var events: [Event] { state.withLock { $0.events } }

    /// The connections that reached `connected`, in order.
    var connections: [any MQTTConnection] { state.withLock { $0.connections } }

    /// The `closed` events, by connection.
    var closes: [ConnectionID: [(graceful: Bool, reason: String)]] {
        var result: [ConnectionID: [(graceful: Bool, reason: String)]] = [:]
        for case .closed(let id, let graceful, let reason) in events { result[id, default: []].append((graceful, reason)) }
        return result
    }

    func connected(_ connect: Connect, on connection: any MQTTConnection) {
        state.withLock {
            $0.events.append(.connected(connection.id, connect))
            $0.connections.append(connection)
        }
        connection.send([.connack(sessionPresent: false, returnCode: .accepted)])
    }

    func received(_ packet: MQTTPacket, on connection: any MQTTConnection) {
        state.withLock { $0.events.append(.received(connection.id, packet)) }
        if case .publish = packet, pausesOnPublish.load(ordering: .relaxed) { connection.pauseReading() }
        if case .publish(let publish) = packet, publish.qos == .atLeastOnce {
            connection.send([.puback(packetID: publish.packetID)])
        }
    }

    func closed(_ connection: any MQTTConnection, graceful: Bool, reason: String) {
        state.withLock { $0.events.append(.closed(connection.id, graceful: graceful, reason: reason)) }
    }

    func writable(_ connection: any MQTTConnection) {
        state.withLock { $0.events.append(.writable(connection.id)) }
    }
}
