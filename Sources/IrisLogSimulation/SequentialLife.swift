import IrisLog

/// One life of a log used the way a replica uses it (SPEC.md §9.3): `Durability.none`, one
/// task, appends of single records, batches and sealed frames, explicit `sync()`,
/// truncations at frame boundaries, `deleteSegments(before:)` and `applyRetention()`, and
/// now and then a clean close and reopen. Power fails after a seeded number of mutating
/// storage calls (so inside a sync, a truncation, a roll, a retention or a checkpoint), or,
/// if the life ends first, after its last operation. The model follows every operation that
/// completed.
struct SequentialLife {
    enum Operation: CustomStringConvertible {
        case append(sizes: [Int])
        case appendFrames(frames: [[Int]])
        case sync
        case truncate(from: Offset, after: Bool)
        case deleteSegments(before: Offset)
        case applyRetention
        case closeAndReopen

        var description: String {
            switch self {
            case .append(let sizes): "append(\(sizes.count) records)"
            case .appendFrames(let frames): "append(frames: \(frames.count))"
            case .sync: "sync()"
            case .truncate(let cut, let after): after ? "truncate(after: \(cut.rawValue - 1))" : "truncate(from: \(cut))"
            case .deleteSegments(let before): "deleteSegments(before: \(before))"
            case .applyRetention: "applyRetention()"
            case .closeAndReopen: "close and reopen"
            }
        }
    }

    /// What a life did, for the outcome and for the next life.
    struct Report {
        var log: Log
        var violation: String?
        var truncations = 0
        var retentions = 0
        var acknowledged = 0
        var durableChecked = 0
        /// The operation power failed in, nil when it failed between operations.
        var crashedIn: Operation?
    }

    let life: Int
    let disk: SimulatedDisk
    let open: () throws -> Log
    let trace: (@Sendable (String) -> Void)?
    let usesRetentionPolicy: Bool
    var random: SplitMix64
    private var sequence = 0
    private let powerLossesAtStart: Int

    init(life: Int, disk: SimulatedDisk, usesRetentionPolicy: Bool, random: SplitMix64, open: @escaping () throws -> Log,
         trace: (@Sendable (String) -> Void)?) {
        self.trace = trace
        self.life = life
        self.disk = disk
        self.usesRetentionPolicy = usesRetentionPolicy
        self.random = random
        self.open = open
        powerLossesAtStart = disk.powerLossCount
    }

    /// Runs the life on `log` until power fails; `model` follows what completed.
    mutating func run(log: Log, model: inout LogModel) async -> Report {
        var report = Report(log: log)
        let operations = 20 + Int(random.next() % 100)
        let crashCall = 1 + Int(random.next() % 200)
        trace?("life \(life): \(operations) operations, power fails after call \(disk.mutatingCallCount + crashCall)")
        disk.powerLoss(afterCalls: crashCall, seed: random.next())
        for _ in 0..<operations {
            let operation = draw(model: model, log: report.log)
            let callsBefore = disk.mutatingCallCount
            let completed = await perform(operation, on: &report, model: &model)
            trace?("  \(operation) -> \(completed.map { "\($0)" } ?? "ok"), next \(model.next), calls \(callsBefore)..<\(disk.mutatingCallCount)\(disk.powerLossCount != powerLossesAtStart ? " POWER LOSS" : "")")
            if disk.powerLossCount != powerLossesAtStart {
                report.crashedIn = operation
                noteCrash(in: operation, model: &model)
                return report
            }
            if let completed {
                report.violation = "life \(life): \(operation) failed with no power loss: \(completed)"
                return report
            }
            if report.violation != nil { return report }
            model.retained(firstOffset: report.log.firstOffset)
        }
        disk.powerLoss(seed: random.next())
        return report
    }

    /// What an operation cut short by power loss may have done, for the next check.
    private func noteCrash(in operation: Operation, model: inout LogModel) {
        switch operation {
        case .truncate(let cut, _): model.truncationInterrupted(from: cut)
        case .deleteSegments(let before): model.retained(firstOffset: Offset(0), before: before)
        // A roll inside an append applies the size policy too.
        case .append, .appendFrames, .applyRetention: if usesRetentionPolicy { model.mayHaveAppliedPolicy() }
        case .sync, .closeAndReopen: break
        }
    }

    /// Performs one operation; returns the error when it failed.
    private mutating func perform(_ operation: Operation, on report: inout Report, model: inout LogModel) async -> LogError? {
        let log = report.log
        do {
            switch operation {
            case .append(let sizes):
                let values = sizes.enumerated().map { RecordValue.make(writer: UInt8(0x80 | life), sequence: sequence, kind: UInt8($0.offset), size: $0.element) }
                sequence += 1
                model.willWrite(values, at: model.next)
                let range = try await log.append(contentsOf: values.map { Record(value: $0) })
                expect(range.lowerBound == model.next && range.upperBound == model.next.advanced(by: UInt64(values.count - 1)), "append returned \(range) at \(model.next)", report: &report)
                model.appended(values, at: range.lowerBound)
                report.acknowledged += values.count
            case .appendFrames(let frames):
                var previousCRC = try lastCRC(log, model: model)
                var sealed: [(frame: SealedFrame, values: [[UInt8]])] = []
                var base = model.next
                for sizes in frames {
                    let values = sizes.enumerated().map { RecordValue.make(writer: UInt8(0x80 | life), sequence: sequence, kind: UInt8($0.offset), size: $0.element) }
                    sequence += 1
                    let batch = try EncodedBatch(records: values.map { Record(value: $0) }, timestampMicroseconds: 1)
                    let frame = batch.sealed(baseOffset: base, term: Term(UInt64(life + 1)), previousCRC: previousCRC)
                    model.willWrite(values, at: base)
                    sealed.append((frame, values))
                    previousCRC = frame.crc
                    base = frame.nextOffset
                }
                let range = try await log.append(frames: sealed.map(\.frame))
                expect(range.lowerBound == model.next && range.upperBound.advanced(by: 1) == base, "append(frames:) returned \(range)", report: &report)
                for (frame, values) in sealed {
                    model.appended(values, at: frame.baseOffset)
                    report.acknowledged += values.count
                }
            case .sync:
                try await log.sync()
                model.madeDurable()
            case .truncate(let cut, let after):
                report.truncations += 1
                if after { try await log.truncate(after: Offset(cut.rawValue - 1)) } else { try await log.truncate(from: cut) }
                model.truncated(from: cut)
                expect(log.nextOffset == cut, "next offset \(log.nextOffset) after truncating from \(cut)", report: &report)
            case .deleteSegments(let before):
                report.retentions += 1
                let firstBefore = log.firstOffset
                _ = try await log.deleteSegments(before: before)
                expect(log.firstOffset <= max(before, firstBefore), "first offset \(log.firstOffset) after deleteSegments(before: \(before))", report: &report)
                model.retained(firstOffset: log.firstOffset, before: before)
            case .applyRetention:
                report.retentions += 1
                let deleted = try await log.applyRetention()
                checkPolicy(log, deleted: deleted, report: &report)
            case .closeAndReopen:
                let failure = await log.close()
                // A power loss inside close (its sync or checkpoint) or inside the reopen ends the life.
                guard disk.powerLossCount == powerLossesAtStart else { return nil }
                if let failure { return failure }
                model.madeDurable()
                let reopened: Log
                do { reopened = try open() } catch { return error as? LogError }
                report.log = reopened
                guard disk.powerLossCount == powerLossesAtStart else { return nil }
                let (violation, checked) = model.checkRecovered(reopened)
                report.durableChecked += checked
                if let violation { report.violation = "life \(life) after a clean reopen: \(violation)" }
            }
        } catch {
            return error
        }
        return nil
    }

    /// The CRC of the log's last frame, which the next sealed frame must chain to.
    private func lastCRC(_ log: Log, model: LogModel) throws(LogError) -> UInt32 {
        guard model.next > Offset(0) else { return 0 }
        return try log.readFrames(from: Offset(model.next.rawValue - 1), maxBytes: 1).last!.crc
    }

    /// The size policy deleted segments only while the log held more than `retentionBytesMax`,
    /// so it holds more than that minus one segment, and at most that unless one segment is left.
    private func checkPolicy(_ log: Log, deleted: Int, report: inout Report) {
        guard let bound = log.configuration.retentionBytesMax else {
            expect(deleted == 0, "applyRetention deleted \(deleted) segments with no policy", report: &report)
            return
        }
        let size = log.sizeBytes
        expect(deleted == 0 || size > bound - log.configuration.segmentSizeBytes,
                   "applyRetention left \(size) bytes, policy keeps \(bound)", report: &report)
        expect(size <= bound || log.segmentCount == 1, "applyRetention kept \(size) bytes over \(bound)", report: &report)
    }

    private func expect(_ condition: Bool, _ message: @autoclosure () -> String, report: inout Report) {
        if !condition && report.violation == nil { report.violation = "life \(life): \(message())" }
    }

    /// A seeded operation that is valid for the log as the model knows it.
    private mutating func draw(model: LogModel, log: Log) -> Operation {
        let roll = random.next() % 100
        let cuts = model.frameStarts.filter { $0 >= log.firstOffset }
        switch roll {
        case 0..<30: return .append(sizes: [recordSize()])
        case 30..<45: return .append(sizes: (0..<2 + Int(random.next() % 4)).map { _ in recordSize() })
        case 45..<62:
            guard model.next == Offset(0) || model.next > log.firstOffset else { return .append(sizes: [recordSize()]) }
            return .appendFrames(frames: (0..<1 + Int(random.next() % 3)).map { _ in (0..<1 + Int(random.next() % 3)).map { _ in recordSize() } })
        case 62..<76: return .sync
        case 76..<88:
            guard !cuts.isEmpty else { return .sync }
            // Mostly a short suffix, as a replica drops; sometimes far back, across segments.
            let back = random.next() % 4 == 0 ? Int(random.next() % UInt64(cuts.count)) : Int(random.next() % UInt64(min(cuts.count, 6)))
            let cut = cuts[cuts.count - 1 - back]
            return .truncate(from: cut, after: cut > Offset(0) && random.next() % 2 == 0)
        case 88..<93:
            let span = model.next.rawValue - log.firstOffset.rawValue + 1
            return .deleteSegments(before: log.firstOffset.advanced(by: random.next() % span))
        case 93..<98: return .applyRetention
        default: return .closeAndReopen
        }
    }

    private mutating func recordSize() -> Int {
        random.next() % 8 == 0 ? Int(random.next() % 6000) : Int(random.next() % 1200)
    }
}
