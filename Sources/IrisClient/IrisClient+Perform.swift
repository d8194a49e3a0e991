import IrisClientProtocol
import IrisLog

/// A failed attempt: why, and whether the request may have reached a node.
struct AttemptProblem: Error, CustomStringConvertible {
    var description: String
    var sent: Bool
}

extension IrisClient {
    /// Sends `request` to the partition's leader until an answer settles it (SPEC.md §12.8):
    /// follows NOT_LEADER hints, asks STATUS for the leader when a hint is empty, moves to the
    /// next endpoint on a lost connection, backs off on OVERLOADED, UNAVAILABLE and
    /// OUTCOME_UNKNOWN, and gives up at `operationTimeout` or `attemptsMax`.
    func perform(_ request: ClientRequest, partition: UInt32, sequence: UInt64?) async throws(IrisClientError) -> ClientAnswer {
        let deadline = ContinuousClock.now + configuration.operationTimeout
        var address = target(for: partition)
        var problem = AttemptProblem(description: "no attempt was made", sent: false)
        var sent = false
        var delay = configuration.retryDelayMin
        var redirects = 0
        for _ in 0..<configuration.attemptsMax {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, !Task.isCancelled else { break }
            var pause = true
            switch await exchange(address, request, timeout: min(configuration.requestTimeout, remaining)) {
            case .failure(let failure):
                problem = failure
                remember(leader: nil, of: partition)
                address = nextAddress()
            case .success(let answer):
                switch answer {
                case .appended, .records:
                    remember(leader: address, of: partition)
                    return answer
                case .tooLarge: throw .tooLarge(detail: "partition \(partition) refused a batch larger than its frame size")
                case .unknownPartition: throw .unknownPartition(partition)
                case .sequenceTooOld: throw .sequenceTooOld(partition: partition, sequence: sequence ?? 0)
                case .notLeader(let hint):
                    problem = AttemptProblem(description: "\(address) does not lead partition \(partition)", sent: false)
                    remember(leader: nil, of: partition)
                    let next = hint.address.isEmpty ? await locateLeader(of: partition) : hint.address
                    redirects += 1
                    pause = next == nil || next == address || redirects > 3
                    address = next ?? nextAddress()
                case .overloaded:
                    problem = AttemptProblem(description: "the leader of partition \(partition) is overloaded", sent: false)
                case .outcomeUnknown:
                    problem = AttemptProblem(description: "leadership of partition \(partition) changed before the append committed", sent: true)
                    remember(leader: nil, of: partition)
                    address = await locateLeader(of: partition) ?? nextAddress()
                case .unavailable(let reason):
                    problem = AttemptProblem(description: "\(address) is unavailable: \(reason)", sent: false)
                    address = nextAddress()
                case .status:
                    problem = AttemptProblem(description: "\(address) answered STATUS to another request", sent: false)
                    address = nextAddress()
                }
            }
            sent = sent || problem.sent
            if pause {
                redirects = 0
                try? await Task.sleep(for: min(delay, max(.zero, deadline - ContinuousClock.now)))
                delay = min(delay * 2, configuration.retryDelayMax)
            }
        }
        if let sequence, sent { throw .outcomeUnknown(partition: partition, sequence: sequence, lastProblem: problem.description) }
        if Task.isCancelled { throw .cancelled }
        throw .unreachable(detail: problem.description + (sequence == nil ? "" : "; nothing was appended"))
    }

    /// One request to one node: its answer, or why there was none.
    func exchange(_ address: String, _ request: ClientRequest, timeout: Duration) async -> Result<ClientAnswer, AttemptProblem> {
        let connection: NodeConnection
        do throws(IrisClientError) {
            connection = try await self.connection(to: address)
        } catch {
            guard case .unreachable(let detail) = error else { return .failure(AttemptProblem(description: error.description, sent: false)) }
            return .failure(AttemptProblem(description: detail, sent: false))
        }
        do {
            return .success(try await connection.request(request, timeout: timeout))
        } catch {
            return .failure(AttemptProblem(description: "\(address): \(error)", sent: true))
        }
    }

    /// The leader's address of `partition` according to the first endpoint that knows it.
    func locateLeader(of partition: UInt32) async -> String? {
        for address in addresses {
            guard case .success(.status(let status)) = await exchange(address, .status, timeout: configuration.requestTimeout) else { continue }
            if let entry = status.partitions.first(where: { $0.partition == partition }), !entry.leaderAddress.isEmpty {
                return entry.leaderAddress
            }
        }
        return nil
    }
}
