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
/// are prefix ends: `LogEnd(n)` is the prefix of the first n records (IrisLog offsets 0..<n),
/// so `lastOffset` is the log's `nextOffset` and `commitOffset` is exclusive.
public struct ReplicaCore: Sendable {
    /// The configuration the replica was created with; fixed for its life.
    public let configuration: ReplicaConfiguration

    /// Current term and vote, as the core believes them (may not be durable yet).
    public internal(set) var hardState: HardState
    /// Last hard state the shell confirmed durable.
    public internal(set) var durableHardState: HardState
    /// Last hard state handed to the shell to persist.
    var requestedHardState: HardState

    /// What the replica does now; every replica starts as a follower.
    public internal(set) var role: Role = .follower
    /// The leader of the current term, if known.
    public internal(set) var leaderID: NodeID?
    /// LogEnd to term map of the local log.
    public internal(set) var termIndex: TermIndex
    /// Local entries through this offset are fsynced.
    public internal(set) var durableOffset: LogEnd
    /// Entries through this offset are known committed. Volatile: 0 after a restart.
    public internal(set) var commitOffset: LogEnd = .zero

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
    var pendingProposals: [(end: LogEnd, first: Offset, id: ClientRequestID)] = []

    /// Messages withheld until `requestedHardState` is durable.
    var heldMessages: [Envelope] = []
    /// Follower: prefix (through this offset) verified equal to the current leader's log.
    var verifiedThroughOffset: LogEnd = .zero
    /// Follower: an acknowledgement is owed once more of the verified prefix is durable.
    var acknowledgementOwed = false

    var timeoutSource: any ElectionTimeoutSource

    /// Leader only: the peer leadership is being handed to, while the transfer is pending.
    public internal(set) var transferTarget: NodeID?
    var transferElapsedTicks = 0

    /// Messages dropped unread, by reason: from non-members, misaddressed or malformed
    /// (SPEC.md §9.5.5). Always empty between correct members over a correct transport.
    public internal(set) var rejectedMessages: [MessageDefect: Int] = [:]
    /// Why the replica stopped; once set, the shell MUST NOT call `step` again.
    public internal(set) var fault: ReplicaFault?

    // Per-step scratch space.
    var actions: [Action] = []
    var appendedThisStep: [SealedFrame] = []
    /// The log's last frame, what a leader chains its next frame to: read at startup, then
    /// kept by every append and truncation, so sealing never reads the log.
    var lastFrame: LastFrame

    /// Creates a replica from its recovered durable state.
    ///
    /// - Parameters:
    ///   - configuration: this replica's validated configuration.
    ///   - hardState: the durable hard state read at startup.
    ///   - log: the local log as recovered at startup; all of it is treated as durable.
    ///   - timeoutSource: supplies randomized election timeouts.
    /// - Throws: `ReplicaFault` when the log cannot be read or is not a valid replicated log;
    ///   the replica cannot start until it is repaired.
    public init(
        configuration: ReplicaConfiguration,
        hardState: HardState,
        log: some LogReader,
        timeoutSource: some ElectionTimeoutSource
    ) throws(ReplicaFault) {
        self.configuration = configuration
        self.hardState = hardState
        self.durableHardState = hardState
        self.requestedHardState = hardState
        self.peers = configuration.peers
        self.votes = Array(repeating: nil, count: configuration.members.count)
        self.replicationWanted = Array(repeating: false, count: configuration.peers.count)
        self.timeoutSource = timeoutSource
        let index = try TermIndex(reading: log)
        self.termIndex = index
        self.durableOffset = log.lastOffset
        self.lastFrame = index.lastOffset == .zero ? .emptyLog : LastFrame(try log.checkedFrame(holding: index.lastOffset.previous.nextRecord))
        if index.lastTerm > hardState.term {
            // Entries of a newer term became durable before the hard state that
            // adopted that term (a crash between the two fsyncs). Adopt the term
            // now, or a later leadership in an older term would append entries
            // with a lower term after them. Messages wait until it is persisted.
            self.hardState = HardState(term: index.lastTerm, votedFor: nil)
        }
        resetElectionTimer()
        checkInvariants()
    }

    /// End of the local log.
    public var lastOffset: LogEnd { termIndex.lastOffset }
    /// Number of client appends accepted and not yet answered.
    public var pendingProposalCount: Int { pendingProposals.count }
    /// Number of messages dropped unread (the sum of `rejectedMessages`).
    public var rejectedMessageCount: Int { rejectedMessages.values.reduce(0, +) }
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
    ///
    /// A read error on `log` stops the replica: the last action is then `.halt`, and the
    /// shell MUST NOT call `step` again (SPEC.md §9.3.1).
    public mutating func step(_ event: Event, log: some LogReader) -> [Action] {
        precondition(fault == nil, "a halted replica takes no more events")
        do throws(ReplicaFault) {
            switch event {
            case .tick:
                tick()
            case .receive(let envelope):
                try receive(envelope, log: log)
            case .hardStatePersisted(let persisted):
                hardStatePersisted(persisted)
            case .logPersisted(let offset, let term):
                try logPersisted(through: offset, term: term, log: log)
            case .clientAppend(let id, let batch):
                clientAppend(id, batch: batch)
            case .transferLeadership(let target):
                transferLeadership(to: target)
            }
            if role == .leader { try sendWantedReplication(log: log) }
        } catch {
            halt(error)
        }
        requestHardStatePersistIfChanged()
        checkInvariants()
        let result = actions
        actions = []
        appendedThisStep.removeAll(keepingCapacity: true)
        return result
    }

    /// Drops an envelope from a non-member, to another replica, or with a defect; counts it.
    private mutating func receive(_ envelope: Envelope, log: some LogReader) throws(ReplicaFault) {
        let defect: MessageDefect? =
            if envelope.from == configuration.nodeID || !peers.contains(envelope.from) { .senderNotPeer }
            else if envelope.to != configuration.nodeID { .wrongRecipient }
            else {
                envelope.message.defect(
                    frameBytesMax: configuration.frameBytesMax, messageBytesMax: configuration.messageBytesMax)
            }
        if let defect {
            reject(defect)
            return
        }
        switch envelope.message {
        case .voteRequest(let request): handleVoteRequest(request, from: envelope.from)
        case .voteResponse(let response): handleVoteResponse(response, from: envelope.from)
        case .appendRequest(let request): try handleAppendRequest(request, from: envelope.from, log: log)
        case .appendResponse(let response): handleAppendResponse(response, from: envelope.from)
        case .timeoutNow(let message): handleTimeoutNow(message, from: envelope.from)
        }
    }

    /// Counts a message dropped unread.
    mutating func reject(_ defect: MessageDefect) {
        rejectedMessages[defect, default: 0] += 1
    }

    /// Stops the replica: pending client appends get `outcomeUnknown` (they may still commit
    /// under another leader), and `.halt` ends the action list.
    private mutating func halt(_ fault: ReplicaFault) {
        if role == .leader {
            abandonLeadership()
            role = .follower
            leaderID = nil
        }
        self.fault = fault
        actions.append(.halt(fault))
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
