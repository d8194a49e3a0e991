import IrisLog

/// SplitMix64: a tiny, fast, seedable generator. Everything the writer appends is derived
/// from it, so the parent can recompute any record from its identity.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0); the tiny modulo bias does not matter here.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func range(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    static func mix(_ values: UInt64...) -> UInt64 {
        var generator = SplitMix64(seed: 0x1F2E_3D4C_5B6A_7988)
        for value in values { generator.state ^= value; _ = generator.next() }
        return generator.next()
    }
}

/// Who appended a record: the cycle (writer process), the producer task, the producer's
/// append number, and the record's place in that append's batch. Carried in every record
/// as the header `iris-crash-id`, so any record found in the log names the append it came from.
struct RecordIdentity: Hashable, Sendable, CustomStringConvertible {
    var cycle: UInt32
    var producer: UInt32
    var sequence: UInt32
    var index: UInt32
    var count: UInt32

    static let headerName = "iris-crash-id"
    static let byteCount = 20

    var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(RecordIdentity.byteCount)
        for value in [cycle, producer, sequence, index, count] {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    init(cycle: UInt32, producer: UInt32, sequence: UInt32, index: UInt32, count: UInt32) {
        self.cycle = cycle
        self.producer = producer
        self.sequence = sequence
        self.index = index
        self.count = count
    }

    init?(_ record: LogRecord) {
        guard let header = record.headers.first, header.name == RecordIdentity.headerName,
              header.value.count == RecordIdentity.byteCount else { return nil }
        let v = header.value
        func word(_ at: Int) -> UInt32 {
            UInt32(v[at]) | UInt32(v[at + 1]) << 8 | UInt32(v[at + 2]) << 16 | UInt32(v[at + 3]) << 24
        }
        self.init(cycle: word(0), producer: word(4), sequence: word(8), index: word(12), count: word(16))
    }

    var description: String { "cycle \(cycle) producer \(producer) append \(sequence) record \(index)/\(count)" }
}

/// The deterministic workload: which batches a producer appends and what each record holds.
enum Workload {
    /// Value sizes: mostly small, sometimes kilobytes, rarely up to 1 MiB.
    static let valueBytesMax = 1 << 20

    /// The seed of one writer process.
    static func cycleSeed(seed: UInt64, cycle: Int) -> UInt64 { SplitMix64.mix(seed, UInt64(cycle), 0xC7C1E) }

    /// How many records the producer's append number `sequence` holds (1 = `append(_:)`).
    static func batchCount(cycleSeed: UInt64, producer: Int, sequence: Int) -> Int {
        var random = SplitMix64(seed: SplitMix64.mix(cycleSeed, UInt64(producer), UInt64(sequence), 0xBA7C4))
        return random.chance(12) ? random.range(2...24) : 1
    }

    static func records(cycleSeed: UInt64, cycle: Int, producer: Int, sequence: Int) -> [Record] {
        let count = batchCount(cycleSeed: cycleSeed, producer: producer, sequence: sequence)
        // A batch may hold at most one large record, so it stays under batchBytesMax.
        var largeUsed = false
        return (0..<count).map { index in
            let identity = RecordIdentity(
                cycle: UInt32(cycle), producer: UInt32(producer), sequence: UInt32(sequence), index: UInt32(index), count: UInt32(count))
            let record = self.record(cycleSeed: cycleSeed, identity: identity, allowLarge: !largeUsed)
            if record.value.count > 64 << 10 { largeUsed = true }
            return record
        }
    }

    /// The record with this identity. `allowLarge` is part of the identity's derivation: the
    /// parent recomputes a whole batch, so it passes the same value.
    static func record(cycleSeed: UInt64, identity: RecordIdentity, allowLarge: Bool) -> Record {
        var random = SplitMix64(seed: SplitMix64.mix(
            cycleSeed, UInt64(identity.producer), UInt64(identity.sequence), UInt64(identity.index), 0x5EC0))
        let size: Int
        switch random.below(1000) {
        case 0..<80: size = 0
        case 80..<700: size = random.range(1...128)
        case 700..<920: size = random.range(129...4096)
        case 920..<985: size = random.range(4097...(64 << 10))
        default: size = allowLarge ? random.range((64 << 10) + 1...valueBytesMax) : random.range(1...256)
        }
        let value = bytes(count: size, random: &random)
        var key: [UInt8]? = nil
        switch random.below(10) {
        case 0..<5: key = nil
        case 5: key = []
        default: key = bytes(count: random.range(1...32), random: &random)
        }
        var headers = [RecordHeader(name: RecordIdentity.headerName, value: identity.bytes)]
        if random.chance(15) {
            headers.append(RecordHeader(name: random.chance(50) ? "trace" : "clé-ключ", value: bytes(count: random.range(0...16), random: &random)))
        }
        var timestamp: Int64? = nil
        if random.chance(10) { timestamp = Int64(bitPattern: random.next()) }
        return Record(value: value, key: key, headers: headers, timestampMicroseconds: timestamp)
    }

    /// Random bytes in one of three textures, so zstd has something to compress (or not).
    static func bytes(count: Int, random: inout SplitMix64) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let texture = random.below(3)
        let pattern = random.next()
        bytes.withUnsafeMutableBytes { buffer in
            var position = 0
            while position < count {
                var word: UInt64
                switch texture {
                case 0: word = random.next()                               // incompressible
                case 1: word = random.next() & 0x0F0F_0F0F_0F0F_0F0F | 0x6060_6060_6060_6060 // low entropy text-ish
                default: word = pattern &+ UInt64(position / 64)            // runs
                }
                let take = min(8, count - position)
                withUnsafeBytes(of: &word) { source in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[position..<position + take])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<take]))
                }
                position += take
            }
        }
        return bytes
    }

    /// FNV-1a 64 over each record's value length (u32 LE) and value bytes, in order.
    static func digest<S: Sequence>(values: S) -> UInt64 where S.Element == [UInt8] {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for value in values {
            var length = UInt32(value.count).littleEndian
            withUnsafeBytes(of: &length) { for byte in $0 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 } }
            for byte in value { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        return hash
    }
}
