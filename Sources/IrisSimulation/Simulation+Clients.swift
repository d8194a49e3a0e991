import IrisLog
import IrisReplication

/// The client workload: appends, typed results, acknowledgement bookkeeping.
extension Simulation {
    static let clientShift: UInt64 = 40

    func sendNextAppend(_ client: Int) {
        guard clients[client].outstanding == nil else { return }
        clients[client].sequence += 1
        let raw = UInt64(client) << Self.clientShift | clients[client].sequence
        // 1 to 4 records: the first starts with the request ID, so every batch is unique.
        var values: [[UInt8]] = []
        for index in 0..<random.int(in: 1...4) {
            var value = index == 0 ? withUnsafeBytes(of: raw.littleEndian) { Array($0) } : []
            for _ in 0..<random.int(in: 0...48) { value.append(UInt8(truncatingIfNeeded: random.next())) }
            values.append(value)
        }
        clients[client].outstanding = OutstandingAppend(requestRawValue: raw, values: values, sentAt: now)
        let id = ClientRequestID(raw)
        queue.schedule(at: now + Int64(random.int(in: 100...1_000)),
                       .clientRequestArrives(node: clients[client].target, id, values: values))
        queue.schedule(at: now + Int64(options.clientTimeoutMilliseconds) * 1_000, .clientTimeout(client: client, id))
    }

    func abandonOutstanding(_ client: Int) {
        guard let outstanding = clients[client].outstanding else { return }
        unresolvedAppends[outstanding.requestRawValue] = outstanding.values
        clients[client].outstanding = nil
        statistics.outcomeUnknown += 1
    }

    func clientTimedOut(_ client: Int, _ id: ClientRequestID) {
        guard clients[client].outstanding?.requestRawValue == id.rawValue else { return }
        abandonOutstanding(client)
        clients[client].target = random.int(in: 0..<drivers.count)
        sendNextAppend(client)
    }

    func clientResult(_ id: ClientRequestID, _ result: ClientResult) {
        let client = Int(id.rawValue >> Self.clientShift)
        let current = clients[client].outstanding?.requestRawValue == id.rawValue ? clients[client].outstanding : nil
        switch result {
        case .notLeader, .overloaded, .payloadTooLarge: checker.observeRefusal(requestID: id.rawValue)
        case .committed, .outcomeUnknown: break
        }
        switch result {
        case .committed(let offset):
            guard let values = current?.values ?? unresolvedAppends.removeValue(forKey: id.rawValue) else {
                checker.fail(.shellContract, "committed result for unknown request \(id)")
                return
            }
            checker.observeAcknowledgement(first: offset, values: values)
            statistics.committed += 1
            if healed, let sentAt = current?.sentAt, sentAt >= healTime {
                statistics.healToCommitMillisecondsMax = Double(now - healTime) / 1_000
                finished = true
            }
        case .notLeader(let hint):
            guard current != nil else { return }
            clients[client].target = hint.map { index(of: $0) } ?? random.int(in: 0..<drivers.count)
        case .overloaded:
            guard current != nil else { return }
            statistics.overloaded += 1
        case .payloadTooLarge:
            checker.fail(.shellContract, "batch rejected as too large")
            return
        case .outcomeUnknown:
            guard current != nil else { return }
            abandonOutstanding(client)
            clients[client].target = random.int(in: 0..<drivers.count)
        }
        guard current != nil else { return }
        if clients[client].outstanding != nil { clients[client].outstanding = nil }
        let pause: ClosedRange<Int> = result == .overloaded ? 5_000...20_000 : 0...3_000
        queue.schedule(at: now + Int64(random.int(in: pause)), .clientNext(client: client))
    }
}
