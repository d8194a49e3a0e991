import Foundation
import IrisLog
import IrisLogInspection

/// One broken promise found after a crash: stops the run.
struct Violation: Error, CustomStringConvertible {
    var cycle: Int
    var message: String
    var description: String { "cycle \(cycle): \(message)" }
}

/// Totals over a run.
struct RunTotals: Codable {
    var seed: UInt64 = 0
    var io = ""
    var cycles = 0
    var kills = 0
    var killsBeforeOpen = 0
    var freshStarts = 0
    var acknowledgedRecordsChecked = 0
    var unacknowledgedAppendsFound = 0
    var recordsVerified = 0
    var intentsAnnounced = 0
    var tornTails = 0
    var tornBytesDiscarded = 0
    var segmentRolls = 0
    var acknowledgedBytes = 0
    var bytesVerified = 0
    var compressedCycles = 0
    var seconds = 0.0
    var slowestCycleSeconds = 0.0
}

/// What the writer printed before it died.
struct WriterOutput {
    struct Ack { var offset: UInt64; var count: Int; var digest: UInt64; var producer: Int; var sequence: Int }
    struct Key: Hashable { var producer: Int; var sequence: Int }
    var ready = false
    var intents: [Key: Int] = [:]
    var acks: [Ack] = []
    var errors: [String] = []

    init(parsing text: Substring) throws(ParseError) {
        // A line is one write(2), so only a complete last line can be missing, never half of one.
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let kind = fields.first else { continue }
            switch kind {
            case "R": ready = true
            case "I":
                guard fields.count == 4, let p = Int(fields[1]), let s = Int(fields[2]), let n = Int(fields[3]) else { throw ParseError(line: String(line)) }
                intents[Key(producer: p, sequence: s)] = n
            case "A":
                guard fields.count == 6, let o = UInt64(fields[1]), let n = Int(fields[2]), let d = UInt64(fields[3]),
                      let p = Int(fields[4]), let s = Int(fields[5]) else { throw ParseError(line: String(line)) }
                acks.append(Ack(offset: o, count: n, digest: d, producer: p, sequence: s))
            case "E": errors.append(String(line.dropFirst(2)))
            default: throw ParseError(line: String(line))
            }
        }
    }

    struct ParseError: Error { var line: String }
}

/// Runs the cycles: spawn a writer, SIGKILL it at a random moment, reopen, verify.
struct Supervisor {
    let seed: UInt64
    let cycles: Int
    let directory: String
    let io: String
    let producers: Int
    let segmentSizeBytes: Int
    let durability: String
    let freshEvery: Int
    let maxLogBytes: Int
    let maxDelayMilliseconds: Int
    let quiet: Bool

    /// Identity of every record verified so far, by offset (from offset 0 of the current log).
    private var known: [RecordIdentity] = []
    private var totals = RunTotals()
    private var cyclesSinceFresh = 0

    init(seed: UInt64, cycles: Int, directory: String, io: String, producers: Int, segmentSizeBytes: Int,
         durability: String, freshEvery: Int, maxLogBytes: Int, maxDelayMilliseconds: Int, quiet: Bool) {
        self.seed = seed
        self.cycles = cycles
        self.directory = directory
        self.io = io
        self.producers = producers
        self.segmentSizeBytes = segmentSizeBytes
        self.durability = durability
        self.freshEvery = freshEvery
        self.maxLogBytes = maxLogBytes
        self.maxDelayMilliseconds = maxDelayMilliseconds
        self.quiet = quiet
    }

    mutating func run() async throws(Violation) -> RunTotals {
        let started = ContinuousClock.now
        let executable = Self.executablePath()
        totals.seed = seed
        totals.io = io
        try freshStart(cycle: 0)
        for cycle in 0..<cycles {
            let cycleStarted = ContinuousClock.now
            var random = SplitMix64(seed: SplitMix64.mix(seed, UInt64(cycle), 0x5C4ED))
            if cyclesSinceFresh >= freshEvery {
                try freshStart(cycle: cycle)
            }
            cyclesSinceFresh += 1
            let settings = CycleSettings(
                cycle: cycle, cycleSeed: Workload.cycleSeed(seed: seed, cycle: cycle), producers: producers,
                compression: random.chance(50) ? .zstd : .none, io: io, segmentSizeBytes: segmentSizeBytes,
                durability: durability == "none" || (durability == "mixed" && random.chance(25)) ? .none : .fsync)
            if settings.compression == .zstd { totals.compressedCycles += 1 }
            let delay = killDelayMicroseconds(&random)

            let (text, status) = try spawnAndKill(executable: executable, settings: settings, delayMicroseconds: delay)
            let output: WriterOutput
            do {
                output = try WriterOutput(parsing: text[...])
            } catch {
                throw Violation(cycle: cycle, message: "unreadable writer output line: \(error.line)")
            }
            if !output.errors.isEmpty {
                throw Violation(cycle: cycle, message: "the writer failed before the kill: \(output.errors.joined(separator: "; "))")
            }
            guard status.killed else {
                throw Violation(cycle: cycle, message: "the writer exited on its own (\(status.description)) before the kill")
            }
            totals.kills += 1
            if !output.ready { totals.killsBeforeOpen += 1 }
            totals.intentsAnnounced += output.intents.count

            let sizeBytes = try await verify(settings: settings, output: output)
            totals.cycles += 1
            let seconds = (ContinuousClock.now - cycleStarted).seconds
            totals.slowestCycleSeconds = max(totals.slowestCycleSeconds, seconds)
            if !quiet {
                print(String(format: "cycle %4d  kill at %6.1f ms  %@  acked %5d  log %7.1f MiB  %.2f s",
                             cycle, Double(delay) / 1000, settings.summary, output.acks.reduce(0) { $0 + $1.count },
                             Double(sizeBytes) / 1048576, seconds))
            }
            if sizeBytes > maxLogBytes { cyclesSinceFresh = freshEvery }
        }
        totals.seconds = (ContinuousClock.now - started).seconds
        return totals
    }

    /// Kill moments: some before the writer can open the log (or while it recovers), many
    /// while it appends; any moment lands mid-group, and with small segments often mid-roll.
    private func killDelayMicroseconds(_ random: inout SplitMix64) -> Int {
        let max = maxDelayMilliseconds * 1000
        switch random.below(100) {
        case 0..<8: return random.below(3_000)
        case 8..<25: return random.range(3_000...40_000)
        default: return random.range(40_000...Swift.max(40_001, max))
        }
    }

    private mutating func freshStart(cycle: Int) throws(Violation) {
        do {
            if FileManager.default.fileExists(atPath: directory) {
                for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
                    try FileManager.default.removeItem(atPath: directory + "/" + name)
                }
            } else {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        } catch {
            throw Violation(cycle: cycle, message: "cannot reset \(directory): \(error)")
        }
        known.removeAll()
        knownSegments = 1
        cyclesSinceFresh = 0
        totals.freshStarts += 1
    }

    // MARK: - The writer process

    struct ExitStatus {
        var raw: Int32
        var killed: Bool { raw & 0x7F == SIGKILL }
        var description: String {
            raw & 0x7F == 0 ? "exit status \((raw >> 8) & 0xFF)" : "signal \(raw & 0x7F)"
        }
    }

    private func spawnAndKill(executable: String, settings: CycleSettings, delayMicroseconds: Int) throws(Violation) -> (String, ExitStatus) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Violation(cycle: settings.cycle, message: "pipe failed: errno \(errno)") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } // the child keeps only its stdout (dup2 clears the flag)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        let arguments = [executable] + settings.arguments + ["--dir", directory]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = ContinuousClock.now
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(fds[1])
        guard result == 0 else {
            close(fds[0])
            throw Violation(cycle: settings.cycle, message: "posix_spawn failed: errno \(result)")
        }
        // Drain stdout while waiting for the kill moment, so the writer never blocks on the pipe.
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let deadline = spawned + .microseconds(delayMicroseconds)
        var killed = false
        while true {
            let now = ContinuousClock.now
            if !killed && now >= deadline {
                kill(pid, SIGKILL)
                killed = true
            }
            var poller = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let waitMilliseconds = killed ? 1000 : Swift.max(0, Int32(((deadline - now).seconds * 1000).rounded(.up)))
            let ready = poll(&poller, 1, waitMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break } // EOF: the writer is gone
            collected.append(contentsOf: buffer[0..<count])
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (String(decoding: collected, as: UTF8.self), ExitStatus(raw: status))
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        precondition(length > 0, "cannot find my own executable")
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: - Verification

    /// Reopens the log as recovery would after the crash and checks every promise; returns the log's size.
    private mutating func verify(settings: CycleSettings, output: WriterOutput) async throws(Violation) -> Int {
        let cycle = settings.cycle
        func fail(_ message: String) -> Violation { Violation(cycle: cycle, message: message) }
        // The crashed directory as `iris-log verify` sees it before recovery: a torn tail or an
        // index left half-written by a roll is allowed, corruption is not.
        do {
            let report = try LogInspector.inspect(directory: directory, decodeRecords: false, checkIndexes: false)
            let corruption = report.findings.filter { $0.kind == .corruption }
            if !corruption.isEmpty {
                throw fail("before recovery, the inspector finds corruption: " + corruption.map { "\($0.file)@\($0.position ?? -1): \($0.reason)" }.joined(separator: "; "))
            }
        } catch let error as Violation {
            throw error
        } catch InspectionError.notALog(_) where known.isEmpty && output.acks.isEmpty {
            // Killed on a fresh directory before the writer created its first file: no log yet,
            // and nothing was acknowledged (`Log.open` below creates it).
        } catch {
            throw fail("inspecting the crashed log failed: \(error)")
        }
        let log: Log
        do {
            log = try Log.open(directory: directory, configuration: settings.configuration(), logger: quietLogger())
        } catch {
            throw fail("reopening after the kill failed: \(error)")
        }
        if let torn = log.recoveryReport.tornTail {
            totals.tornTails += 1
            totals.tornBytesDiscarded += torn.discardedBytes
        }
        let segmentsBefore = knownSegments
        knownSegments = log.segmentCount

        let first = log.firstOffset.rawValue
        let next = log.nextOffset.rawValue
        guard first == 0 else { throw fail("the log starts at \(first), not 0 (no retention is configured)") }
        guard next >= UInt64(known.count) else {
            throw fail("records vanished: the log ends at \(next) but \(known.count) records were verified before")
        }
        for ack in output.acks where ack.offset + UInt64(ack.count) > next {
            throw fail("acknowledged records \(ack.offset)..<\(ack.offset + UInt64(ack.count)) (producer \(ack.producer) append \(ack.sequence)) are missing: the log ends at \(next)")
        }

        // Read everything, frame by frame through the reader's checks, and check each record
        // against the generator; batches must be whole and contiguous.
        var offset: UInt64 = 0
        var batch: (identity: RecordIdentity, expected: [Record], start: UInt64, values: [[UInt8]])? = nil
        var seen: [WriterOutput.Key: (start: UInt64, digest: UInt64, bytes: Int)] = [:]
        let previousEnd = UInt64(known.count)
        while offset < next {
            let records: [LogRecord]
            do {
                records = try log.read(from: Offset(offset), maxBytes: 4 << 20)
            } catch {
                throw fail("reading at \(offset) failed: \(error)")
            }
            guard !records.isEmpty else { throw fail("reading at \(offset) returned nothing below nextOffset \(next)") }
            for record in records {
                guard record.offset.rawValue == offset else { throw fail("expected offset \(offset), read \(record.offset)") }
                guard let identity = RecordIdentity(record) else { throw fail("record \(offset) has no identity header: not written by iris-crash") }
                if offset < previousEnd {
                    guard known[Int(offset)] == identity else {
                        throw fail("record \(offset) changed: it was \(known[Int(offset)]), now \(identity)")
                    }
                } else {
                    guard identity.cycle == UInt32(cycle) else {
                        throw fail("new record \(offset) claims \(identity), but only cycle \(cycle) wrote since the last check")
                    }
                    let key = WriterOutput.Key(producer: Int(identity.producer), sequence: Int(identity.sequence))
                    guard output.intents[key] == Int(identity.count) else {
                        throw fail("record \(offset) (\(identity)) matches no announced append")
                    }
                    known.append(identity)
                }
                if let current = batch {
                    let expectedIdentity = RecordIdentity(
                        cycle: current.identity.cycle, producer: current.identity.producer, sequence: current.identity.sequence,
                        index: UInt32(current.values.count), count: current.identity.count)
                    guard identity == expectedIdentity else {
                        throw fail("record \(offset) is \(identity) but the batch started at \(current.start) expects \(expectedIdentity): a batch was split")
                    }
                } else {
                    guard identity.index == 0 else { throw fail("record \(offset) (\(identity)) does not start its batch") }
                    let seed = Workload.cycleSeed(seed: self.seed, cycle: Int(identity.cycle))
                    let expected = Workload.records(cycleSeed: seed, cycle: Int(identity.cycle), producer: Int(identity.producer), sequence: Int(identity.sequence))
                    guard expected.count == Int(identity.count) else { throw fail("record \(offset) (\(identity)): the generator makes \(expected.count) records") }
                    batch = (identity, expected, offset, [])
                }
                let expected = batch!.expected[batch!.values.count]
                guard record.value == expected.value, record.key == expected.key, record.headers == expected.headers,
                      expected.timestampMicroseconds.map({ $0 == record.timestampMicroseconds }) ?? true else {
                    throw fail("record \(offset) (\(identity)) differs from what was appended (value \(record.value.count) bytes, expected \(expected.value.count))")
                }
                batch!.values.append(record.value)
                totals.recordsVerified += 1
                totals.bytesVerified += record.value.count
                if batch!.values.count == batch!.expected.count {
                    if batch!.start >= previousEnd {
                        let key = WriterOutput.Key(producer: Int(identity.producer), sequence: Int(identity.sequence))
                        guard seen[key] == nil else { throw fail("the append producer \(key.producer) #\(key.sequence) is in the log twice") }
                        seen[key] = (batch!.start, Workload.digest(values: batch!.values), batch!.values.reduce(0) { $0 + $1.count })
                    }
                    batch = nil
                }
                offset += 1
            }
        }
        if let batch { throw fail("the log ends inside the batch that starts at \(batch.start) (\(batch.identity))") }

        // Every acknowledgement: its records are where the writer was told, byte for byte.
        for ack in output.acks {
            let key = WriterOutput.Key(producer: ack.producer, sequence: ack.sequence)
            guard let found = seen[key] else {
                throw fail("acknowledged append producer \(ack.producer) #\(ack.sequence) at \(ack.offset) is not in the log")
            }
            guard found.start == ack.offset else { throw fail("acknowledged append producer \(ack.producer) #\(ack.sequence) was at \(ack.offset), is at \(found.start)") }
            guard found.digest == ack.digest else { throw fail("acknowledged append at \(ack.offset): digest \(found.digest), acknowledged \(ack.digest)") }
            totals.acknowledgedRecordsChecked += ack.count
            totals.acknowledgedBytes += found.bytes
        }
        let acked = Set(output.acks.map { WriterOutput.Key(producer: $0.producer, sequence: $0.sequence) })
        totals.unacknowledgedAppendsFound += seen.filter { !acked.contains($0.key) }.count
        totals.segmentRolls += Swift.max(0, log.segmentCount - segmentsBefore)
        let size = log.sizeBytes
        await log.close()

        // After recovery and a clean close, `iris-log verify` (every frame, record and index
        // file) must find nothing at all, and agree on where the log ends.
        do {
            let report = try LogInspector.inspect(directory: directory, decodeRecords: true, checkIndexes: true)
            let problems = report.findings.filter { $0.isError || $0.kind == .tornTail }
            if !problems.isEmpty {
                throw fail("after recovery and close, verify reports: " + problems.map { "\($0.kind.rawValue) \($0.file)@\($0.position ?? -1): \($0.reason)" }.joined(separator: "; "))
            }
            guard report.nextOffset == next, report.firstOffset == first else {
                throw fail("verify sees offsets \(report.firstOffset)..<\(report.nextOffset), the log \(first)..<\(next)")
            }
        } catch let error as Violation {
            throw error
        } catch {
            throw fail("verifying the log after close failed: \(error)")
        }
        return size
    }

    private var knownSegments = 1
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
