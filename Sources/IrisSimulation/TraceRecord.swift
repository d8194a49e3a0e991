import IrisLog
import IrisReplication

/// One line of the bounded replay trace, rendered to text only on a violation.
struct TraceRecord {
    enum Kind {
        case tick
        case deliver(Envelope)
        case dropped(Envelope)
        case logFsync(through: LogEnd)
        case hardStateFsync(HardState)
        case clientAppend(ClientRequestID, bytes: Int)
        case clientResult(ClientRequestID, ClientResult)
        case commit(LogEnd)
        case crash(lostRecords: Int, tornTailCut: Bool)
        case restart
        case fault(String)
        case becameLeader(Term)
    }

    let time: Int64
    let node: Int
    let kind: Kind

    var text: String {
        let prefix = "\(Double(time) / 1000)ms n\(node + 1)"
        switch kind {
        case .tick: return "\(prefix) tick"
        case .deliver(let envelope): return "\(prefix) <- \(Self.describe(envelope))"
        case .dropped(let envelope): return "\(prefix) dropped \(Self.describe(envelope))"
        case .logFsync(let offset): return "\(prefix) log fsync through \(offset)"
        case .hardStateFsync(let state): return "\(prefix) hard state fsync \(state)"
        case .clientAppend(let id, let bytes): return "\(prefix) client append \(id) (\(bytes) bytes)"
        case .clientResult(let id, let result): return "\(prefix) client result \(id): \(result)"
        case .commit(let offset): return "\(prefix) commit -> \(offset)"
        case .crash(let lost, let cut):
            return "\(prefix) CRASH: power loss; recovery kept all but \(lost) unsynced records\(cut ? ", cut a torn tail" : "")"
        case .restart: return "\(prefix) restart"
        case .fault(let text): return "\(prefix) fault: \(text)"
        case .becameLeader(let term): return "\(prefix) became leader in \(term)"
        }
    }

    static func describe(_ envelope: Envelope) -> String {
        let route = "\(envelope.from)->\(envelope.to)"
        switch envelope.message {
        case .voteRequest(let request):
            return "\(route) \(request.isPreVote ? "PreVote" : "Vote")Request \(request.term) last=(\(request.lastLogTerm),\(request.lastLogOffset))"
        case .voteResponse(let response):
            return "\(route) \(response.isPreVote ? "PreVote" : "Vote")Response \(response.term) granted=\(response.granted)"
        case .appendRequest(let request):
            let frames = request.frames.map { "\($0.term.rawValue):\($0.baseOffset)+\($0.recordCount)" }.joined(separator: ",")
            return "\(route) Append \(request.term) prev=(\(request.prevLogTerm),\(request.prevLogOffset)) frames=[\(frames)] commit=\(request.commitOffset)"
        case .appendResponse(let response):
            return response.success
                ? "\(route) AppendOK \(response.term) match=\(response.matchOffset)"
                : "\(route) AppendReject \(response.term) prev=\(response.rejectedPrevLogOffset) hint=(\(response.hintTerm),\(response.hintOffset))"
        case .timeoutNow(let message):
            return "\(route) TimeoutNow \(message.term)"
        }
    }
}

/// Ring buffer of the last `capacity` trace records.
struct TraceRing {
    let capacity: Int
    private var records: [TraceRecord] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ record: TraceRecord) {
        guard capacity > 0 else { return }
        if records.count < capacity {
            records.append(record)
        } else {
            records[next] = record
            next = (next + 1) % capacity
        }
    }

    var lines: [String] { (records[next...] + records[..<next]).map(\.text) }
}
