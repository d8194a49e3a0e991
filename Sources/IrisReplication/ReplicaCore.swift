import IrisLog

/// The pure, deterministic replication state machine of one replica.
///
/// Feed it `Event`s with `step(_:log:)`; it returns the `Action`s the shell must
/// execute in order. It holds no clock, randomness, disk or socket: ticks,
/// timeouts (`ElectionTimeoutSource`), durability completions and the log
/// (`LogReader`) are injected. See SPEC.md §9 for the protocol.
///
/// Entries are IrisLog frames (`SealedFrame`): a leader seals each client batch at the end of
/// its log with its term in the frame header, and replicas store frames byte for byte. Offsets
/// are prefix ends: `Offset(n)` is the prefix of the first n records (IrisLog offsets 0..<n),
/// so `lastOffset` is the log's `nextOffset` and `commitOffset` is exclusive.
public struct ReplicaCore: Sendable {
    public let configuration: ReplicaConfiguration

    /// Current term and vote, as the core believes them (may not be durable yet).
    public internal(set) var hardState: HardState
    /// Last hard state the shell confirmed durable.
    public internal(set) var durableHardState: HardState
    /// Last hard state handed to the shell to persist.
    var requestedHardState: HardState

    public internal(set) var role: Role = .follower
    /// The leader of the current term, if known.
    public internal(set) var leaderID: NodeID?
    /// Offset to term map of the local log.
    public internal(set) var termIndex: TermIndex
    /// Local entries through this offset are fsynced.
    public internal(set) var durableOffset: Offset
    /// Entries through this offset are known committed. Volatile: 0 after a restart.
    public internal(set) var commitOffset: Offset = .zero

    var electionElapsedTicks = 0
    /// The election timeout drawn at the last timer reset.
    public internal(set) var randomizedElectionTimeoutTicks = 0
    var heartbeatElapsedTicks = 0
    var quorumCheckElapsedTicks = 0
    /// Votes (or pre-votes) per member index in the current campaign; nil = no answer.
    var votes: [Bool?]

    /// Peers, sorted; indexes line up with `progress` and `replicationWanted`.
    let peers: [NodeID]
    /// Leader only: replication progress per peer.
    public internal(set) var progress: [PeerProgress] = []
    /// Leader only: peers that may have something to send at the end of this step.
    var replicationWanted: [Bool]
    /// Leader only: accepted client appends awaiting commit, in offset order: the frame's
    /// end (commit point) and first record's offset (the answer).
    var pendingProposals: [(end: Offset, first: Offset, id: ClientRequestID)] = []

    /// Messages withheld until `requestedHardState` is durable.
    var heldMessages: [Envelope] = []
    /// Follower: prefix (through this offset) verified equal to the current leader's log.
    var verifiedThroughOffset: Offset = .zero
    /// Follower: an acknowledgement is owed once more of the verified prefix is durable.
    var acknowledgementOwed = false

    var timeoutSource: any ElectionTimeoutSource

    // Per-step scratch space.
    var actions: [Action] = []
    var appendedThisStep: [SealedFrame] = []
    /// The log view of the current step.
    var stepLog: (any LogReader)?
    /// What a leader chains its next frame to; nil when unknown (read then from the log).
    var lastFrame: LastFrame?

    /// Creates a replica from its recovered durable state.
    ///
    /// - Parameters:
    ///   - hardState: the durable hard state read at startup.
    ///   - log: the local log as recovered at startup; all of it is treated as durable.
    ///   - timeoutSource: supplies randomized election timeouts.
    public init(
        configuration: ReplicaConfiguration,
        hardState: HardState,
        log: some LogReader,
        timeoutSource: some ElectionTimeoutSource
    ) {
        self.configuration = configuration
        self.hardState = hardState
        self.durableHardState = hardState
        self.requestedHardState = hardState
        self.peers = configuration.peers
        self.votes = Array(repeating: nil, count: configuration.members.count)
        self.replicationWanted = Array(repeating: false, count: configuration.peers.count)
        self.timeoutSource = timeoutSource
        let index = TermIndex(reading: log)
        self.termIndex = index
        self.durableOffset = log.lastOffset
        if index.lastTerm > hardState.term {
            // Entries of a newer term became durable before the hard state that
            // adopted that term (a crash between the two fsyncs). Adopt the term
            // now, or a later leadership in an older term would append entries
            // with a lower term after them. Messages wait until it is persisted.
            self.hardState = HardState(term: index.lastTerm, votedFor: nil)
        }
        resetElectionTimer()
    }

    /// End of the local log.
    public var lastOffset: Offset { termIndex.lastOffset }
    /// Number of client appends accepted and not yet answered.
    public var pendingProposalCount: Int { pendingProposals.count }
    /// Number of messages withheld until the hard state is durable.
    public var heldMessageCount: Int { heldMessages.count }
    /// Peers, sorted, in the order of `progress`.
    public var peerIDs: [NodeID] { peers }

    /// Progress of one peer (leader only).
    public func progress(of peer: NodeID) -> PeerProgress? {
        guard role == .leader, let index = peers.firstIndex(of: peer) else { return nil }
        return progress[index]
    }

    /// Processes one event and returns the actions to execute, in order.
    public mutating func step(_ event: Event, log: some LogReader) -> [Action] {
        stepLog = log
        defer { stepLog = nil }
        switch event {
        case .tick:
            tick()
        case .receive(let envelope):
            precondition(envelope.to == configuration.nodeID, "message delivered to the wrong replica")
            receive(envelope)
        case .hardStatePersisted(let persisted):
            hardStatePersisted(persisted)
        case .logPersisted(let offset, let term):
            logPersisted(through: offset, term: term)
        case .clientAppend(let id, let batch):
            clientAppend(id, batch: batch)
        }
        if role == .leader { sendWantedReplication(log: log) }
        requestHardStatePersistIfChanged()
        let result = actions
        actions = []
        appendedThisStep.removeAll(keepingCapacity: true)
        return result
    }

    private mutating func receive(_ envelope: Envelope) {
        switch envelope.message {
        case .voteRequest(let request): handleVoteRequest(request, from: envelope.from)
        case .voteResponse(let response): handleVoteResponse(response, from: envelope.from)
        case .appendRequest(let request): handleAppendRequest(request, from: envelope.from)
        case .appendResponse(let response): handleAppendResponse(response, from: envelope.from)
        }
    }

    private mutating func tick() {
        if role == .leader {
            leaderTick()
            return
        }
        electionElapsedTicks += 1
        if electionElapsedTicks >= randomizedElectionTimeoutTicks { startPreVote() }
    }
}
