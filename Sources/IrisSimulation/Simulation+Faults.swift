import IrisLog
import IrisReplication

/// Fault injection during the chaos phase, and healing.
extension Simulation {
    func injectFault() async {
        guard !healed else { return }
        let count = drivers.count
        let choice = random.int(in: 0..<122)
        switch choice {
        case 0..<22:
            let up = drivers.indices.filter { drivers[$0] != nil }
            if let node = up.isEmpty ? nil : up[random.int(in: 0..<up.count)] { await crash(node) }
        case 22..<36:
            let mask = random.int(in: 1..<((1 << count) - 1))
            partition { from, to in ((mask >> from) & 1) != ((mask >> to) & 1) }
            note("symmetric partition mask \(mask)")
        case 36..<46:
            let node = random.int(in: 0..<count)
            let outgoing = random.chance(0.5)
            partition { from, to in outgoing ? from == node && to != node : to == node && from != node }
            note("asymmetric partition: n\(node + 1) \(outgoing ? "cannot send" : "cannot receive")")
        case 46..<56:
            let leaders = drivers.indices.filter { drivers[$0]?.core.role == .leader }
            if let leader = leaders.max(by: { drivers[$0]!.core.hardState.term < drivers[$1]!.core.hardState.term }) {
                partition { from, to in (from == leader) != (to == leader) }
                note("isolated leader n\(leader + 1)")
            }
        case 56..<68:
            dropProbability = [0, 0.02, 0.1, 0.3][random.int(in: 0..<4)]
            duplicateProbability = [0, 0.05, 0.2][random.int(in: 0..<3)]
            messageDelayMicrosecondsMax = [2_000, 10_000, 40_000][random.int(in: 0..<3)]
            longDelayProbability = [0, 0.01, 0.05][random.int(in: 0..<3)]
            note("network drop=\(dropProbability) duplicate=\(duplicateProbability) delayMax=\(messageDelayMicrosecondsMax)us long=\(longDelayProbability)")
        case 68..<78:
            let node = random.int(in: 0..<count)
            tickIntervals[node] = options.tickMicroseconds * Int64(random.int(in: 70...130)) / 100
            note("timer skew n\(node + 1) tick=\(tickIntervals[node])us")
        case 78..<88:
            let node = random.int(in: 0..<count)
            fsyncLatencyMicrosecondsMax[node] = random.chance(0.5) ? Int64(random.int(in: 20_000...80_000)) : Self.defaultFsyncLatencyMicrosecondsMax
            note("disk latency n\(node + 1) max=\(fsyncLatencyMicrosecondsMax[node])us")
        case 100..<106:
            armDiskFault(midOperation: false)
        case 106..<112:
            armDiskFault(midOperation: true)
        case 112..<122:
            // Leadership transfer (SPEC.md §9.13) to a random other replica, reachable or not.
            let leaders = drivers.indices.filter { drivers[$0]?.core.role == .leader }
            if let leader = leaders.max(by: { drivers[$0]!.core.hardState.term < drivers[$1]!.core.hardState.term }) {
                let target = (leader + random.int(in: 1..<count)) % count
                note("leadership transfer n\(leader + 1) -> n\(target + 1)")
                statistics.transfers += 1
                await feed(leader) { await $0.handle(.transferLeadership(to: NodeID(UInt64(target + 1)))) }
            }
        default:
            clearLinks()
            note("links healed")
        }
        queue.schedule(at: now + Int64(random.int(in: 30_000...250_000)), .fault)
    }

    func note(_ text: String) {
        trace.append(TraceRecord(time: now, node: -1, kind: .fault(text)))
    }

    /// Replaces the link state; the new partition heals by itself later.
    func partition(_ isBlocked: (Int, Int) -> Bool) {
        for from in blocked.indices {
            for to in blocked.indices { blocked[from][to] = from != to && isBlocked(from, to) }
        }
        linkGeneration += 1
        statistics.partitions += 1
        queue.schedule(at: now + Int64(random.int(in: 100_000...800_000)), .healLinks(generation: linkGeneration))
    }

    func clearLinks() {
        for from in blocked.indices {
            for to in blocked.indices { blocked[from][to] = false }
        }
    }

    /// Ends the chaos phase: every fault is repaired and liveness is measured.
    func healAll() {
        healed = true
        healTime = now
        clearLinks()
        dropProbability = 0
        duplicateProbability = 0
        messageDelayMicrosecondsMax = 2_000
        longDelayProbability = 0
        for node in drivers.indices {
            fsyncLatencyMicrosecondsMax[node] = Self.defaultFsyncLatencyMicrosecondsMax
            clearDiskFault(node)
            restart(node)
        }
        note("healed all faults")
        for index in clients.indices {
            abandonOutstanding(index)
            sendNextAppend(index)
        }
        queue.schedule(at: now + Int64(options.healToCommitBoundMilliseconds) * 1_000, .livenessDeadline)
    }
}
