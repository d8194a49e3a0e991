import IrisLog
import IrisReplication

/// A hand-driven 3-node cluster with a fake network: messages sit in a mailbox
/// until delivered; persistence completes immediately after each step.
struct ClusterHarness {
    var replicas: [HandDrivenReplica]
    var mailbox: [Envelope] = []
    /// Nodes whose messages (in and out) are dropped.
    var isolated: Set<NodeID> = []
    /// Every envelope delivered so far, in order (valid messages for mutation tests).
    var delivered: [Envelope] = []

    init(timeouts: [Int] = [10, 14, 18]) throws {
        replicas = try (1...3).map { index in
            HandDrivenReplica(try makeConfiguration(UInt64(index)), timeoutTicks: timeouts[index - 1])
        }
    }

    mutating func step(_ index: Int, _ event: Event) {
        let actions = replicas[index].step(event)
        let followUp = replicas[index].persistEverything(actions)
        for envelope in (actions + followUp).sent where !isolated.contains(envelope.from) && !isolated.contains(envelope.to) {
            mailbox.append(envelope)
        }
    }

    mutating func deliverAll() {
        var rounds = 0
        while !mailbox.isEmpty {
            let pending = mailbox
            mailbox = []
            delivered += pending
            for envelope in pending {
                step(Int(envelope.to.rawValue) - 1, .receive(envelope))
            }
            rounds += 1
            precondition(rounds < 1_000, "message storm")
        }
    }

    /// One tick on every replica, then deliver until quiet.
    mutating func tickAll(_ count: Int = 1) {
        for _ in 0..<count {
            for index in replicas.indices { step(index, .tick) }
            deliverAll()
        }
    }

    var leaders: [NodeID] { replicas.filter { $0.core.role == .leader }.map(\.id) }
}
