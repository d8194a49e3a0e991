import IrisClientProtocol
import IrisLog
import NIOCore
import NIOPosix
import NIOSSL

/// A client of an Iris cluster (SPEC.md §12): appends exactly once, reads and follows
/// committed records, asks for status. It keeps one connection per node, reused by every
/// call, and a leader per partition learnt from answers; calls may run concurrently.
///
/// Appends are idempotent: the client has a random producer ID and numbers its appends per
/// partition, and a retry (after a lost connection, a timeout, OUTCOME_UNKNOWN or a leader
/// change) reuses the number, so the cluster stores the batch once.
public actor IrisClient {
    /// This client's producer ID: random, non-zero, fixed for the client's life.
    public nonisolated let producerID: UInt64
    let addresses: [String]
    let tls: NIOSSLContext?
    let configuration: IrisClientConfiguration
    private var connections: [String: NodeConnection] = [:]
    private var leaders: [UInt32: String] = [:]
    private var sequences: [UInt32: UInt64] = [:]
    private var rotation = 0
    private var closed = false

    /// A client of the cluster reachable at `endpoints` ("host:port" each; one is enough, the
    /// others are tried when it fails). Connections are opened on first use, with TLS when
    /// `tls` is given.
    /// - Throws: `.noEndpoints`, `.invalidEndpoint`.
    public init(endpoints: [String], tls: NIOSSLContext? = nil, configuration: IrisClientConfiguration = IrisClientConfiguration()) throws(IrisClientError) {
        guard !endpoints.isEmpty else { throw .noEndpoints }
        for endpoint in endpoints { _ = try Endpoint(parsing: endpoint) }
        addresses = endpoints
        self.tls = tls
        self.configuration = configuration
        producerID = UInt64.random(in: 1...UInt64.max)
    }

    /// Appends `records` to `partition` as one batch and returns the first record's offset
    /// (the others follow it) once the batch is committed on a quorum. Retries across leader
    /// changes and lost connections until `configuration.operationTimeout`, each retry with
    /// the same producer sequence, so the batch is stored at most once.
    /// - Throws: `.outcomeUnknown` when it was sent but no commit was seen in time;
    ///   `.unreachable` when it never reached a node; `.tooLarge`, `.unknownPartition`,
    ///   `.sequenceTooOld`, `.emptyBatch`, `.cancelled`.
    public func append(partition: UInt32, records: [Record]) async throws(IrisClientError) -> Offset {
        guard !records.isEmpty else { throw .emptyBatch }
        var request = AppendRequest(partition: partition, producerID: producerID, sequence: 0, records: records)
        do throws(ClientProtocolError) { try request.check(limits: configuration.limits) } catch { throw .tooLarge(detail: error.description) }
        request.sequence = sequences[partition, default: 1]
        sequences[partition] = request.sequence + 1
        switch try await perform(.append(request), partition: partition, sequence: request.sequence) {
        case .appended(let firstOffset, _): return firstOffset
        case let other: throw .protocolViolation(detail: "APPEND answered with \(other)")
        }
    }

    /// Committed records of `partition` from `offset` on, at most about `maxBytes` of keys
    /// and values (at least one record when one exists); an empty batch when none is
    /// committed there yet.
    /// - Throws: `.unreachable`, `.unknownPartition`, `.cancelled`.
    public func read(partition: UInt32, from offset: Offset, maxBytes: UInt32 = 1 << 20) async throws(IrisClientError) -> RecordBatch {
        let request = ReadRequest(partition: partition, from: offset, maxBytes: maxBytes, waitMilliseconds: 0)
        switch try await perform(.read(request), partition: partition, sequence: nil) {
        case .records(let batch): return batch
        case let other: throw .protocolViolation(detail: "READ answered with \(other)")
        }
    }

    /// Committed records of `partition` from `offset` on, as they commit; the sequence ends
    /// only by throwing (`.unreachable` after `configuration.followFailuresMax` failed
    /// attempts in a row, `.unknownPartition`, `.cancelled`). Each follow has a connection of
    /// its own, closed when the iteration ends.
    public nonisolated func follow(partition: UInt32, from offset: Offset) -> IrisFollow {
        IrisFollow(client: self, partition: partition, from: offset)
    }

    /// The cluster's status as the first node that answers sees it.
    /// - Throws: `.unreachable` when no endpoint answers.
    public func status() async throws(IrisClientError) -> ClusterStatus {
        var problems: [String] = []
        for address in addresses {
            do throws(IrisClientError) { return try await status(of: address) } catch { problems.append(error.description) }
        }
        throw .unreachable(detail: problems.joined(separator: "; "))
    }

    /// The status as the node at `address` sees it (one attempt, `configuration.requestTimeout`).
    /// - Throws: `.unreachable`, `.protocolViolation`, `.invalidEndpoint`.
    public func status(of address: String) async throws(IrisClientError) -> ClusterStatus {
        _ = try Endpoint(parsing: address)
        switch await exchange(address, .status, timeout: configuration.requestTimeout) {
        case .success(.status(let status)): return status
        case .success(let other): throw .protocolViolation(detail: "STATUS answered with \(other) by \(address)")
        case .failure(let problem): throw .unreachable(detail: problem.description)
        }
    }

    /// Closes every connection; calls in progress and later fail with `.cancelled`.
    public func close() {
        closed = true
        for connection in connections.values { connection.close() }
        connections = [:]
    }

    // MARK: connections and routing (used by perform and follow)

    /// The cached connection to `address`, opened when missing or closed.
    func connection(to address: String) async throws(IrisClientError) -> NodeConnection {
        guard !closed else { throw .cancelled }
        if let connection = connections[address], connection.isActive { return connection }
        let connection = try await openConnection(to: address)
        if let existing = connections[address], existing.isActive {
            connection.close()
            return existing
        }
        connections[address] = connection
        return connection
    }

    /// A new connection to `address`, not cached (a follow's own).
    func openConnection(to address: String) async throws(IrisClientError) -> NodeConnection {
        guard !closed else { throw .cancelled }
        do {
            return try await NodeConnection.open(address: address, tls: tls, configuration: configuration).get()
        } catch let error as IrisClientError {
            throw error
        } catch let error as NIOConnectionError {
            throw .unreachable(detail: "cannot connect to \(address): \(error.connectionErrors.first.map { "\($0.error)" } ?? "\(error)")")
        } catch {
            throw .unreachable(detail: "cannot connect to \(address): \(error)")
        }
    }

    /// Where to send a request for `partition` first: its known leader, else the next endpoint.
    func target(for partition: UInt32) -> String {
        leaders[partition] ?? nextAddress()
    }

    /// The endpoints in turn.
    func nextAddress() -> String {
        rotation = (rotation + 1) % addresses.count
        return addresses[rotation]
    }

    func remember(leader: String?, of partition: UInt32) {
        leaders[partition] = leader
    }
}
