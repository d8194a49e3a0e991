/// Client appends: admission control and typed results.
extension ReplicaCore {
    mutating func clientAppend(_ id: ClientRequestID, payload: [UInt8]) {
        guard role == .leader else {
            actions.append(.clientResult(id, .notLeader(hint: leaderID)))
            return
        }
        guard payload.count <= configuration.entryPayloadBytesMax else {
            actions.append(.clientResult(id, .payloadTooLarge))
            return
        }
        let uncommitted = lastOffset.rawValue - commitOffset.rawValue
        guard pendingProposals.count < configuration.uncommittedEntriesMax,
              uncommitted < UInt64(configuration.uncommittedEntriesMax)
        else {
            // Bounded queue: refuse rather than buffer without limit.
            actions.append(.clientResult(id, .overloaded))
            return
        }
        let entry = Entry(term: hardState.term, offset: lastOffset.next, payload: payload)
        appendLocally([entry])
        pendingProposals.append((offset: entry.offset, id: id))
        // Replicate in parallel with the local write; the leader's own copy counts
        // toward commit only after its fsync completes.
        for index in peers.indices { replicationWanted[index] = true }
    }
}
