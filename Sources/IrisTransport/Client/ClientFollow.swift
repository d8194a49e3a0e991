import IrisClientProtocol

/// The server side of one FOLLOW (SPEC.md §12.4): reads with a wait, pushes each non-empty
/// batch, then waits for the client's FOLLOW_ACK before reading on, so at most one batch is
/// ever unacknowledged.
struct ClientFollow: Sendable {
    let request: FollowRequest
    let service: any ClientService
    let configuration: ClientConnectionConfiguration

    /// Runs until the connection closes (`acks` ends or the task is cancelled: nil) or the
    /// service answers something other than records (returned, to be sent as the last answer).
    func run(acks: AsyncStream<Void>, push: @Sendable (ClientAnswer) -> Void) async -> ClientAnswer? {
        var next = request.from
        var iterator = acks.makeAsyncIterator()
        let maxBytes = min(request.maxBytes, configuration.readBytesMax)
        while !Task.isCancelled {
            let answer = await service.read(ReadRequest(
                partition: request.partition, from: next, maxBytes: maxBytes, waitMilliseconds: configuration.followWaitMilliseconds))
            guard case .records(let batch) = answer else { return answer }
            guard !batch.records.isEmpty else {
                // A service that answers at once instead of waiting must not spin this task.
                try? await Task.sleep(for: .milliseconds(10))
                continue
            }
            push(answer)
            next = batch.nextOffset
            guard await iterator.next() != nil else { return nil }
        }
        return nil
    }
}
