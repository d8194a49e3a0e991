import Foundation
import IrisLog
import Testing

/// `iris-log dump`'s output byte for byte (ARCHITECTURE §6), for the cases its byte-level
/// formatter must get right: every control character, quotes and backslashes, UTF-8 at each
/// length boundary and each way of being malformed, keys, headers, times before 1970 and after
/// 9999, compressed frames, `--from` and `--count`. The expected text is pinned literally for
/// a few records and, for all, computed by `ReferenceFormat` (Foundation strings: the
/// formatter the tool used before it wrote bytes directly).
@Suite("iris-log dump format")
struct DumpFormatTests {
    @Test("dump and dump --json print exactly the reference format")
    func exactOutput() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let records = Self.trickyRecords() + Self.randomRecords(count: 400, seed: 13)
        let half = records.count / 2
        try await LibraryLog.write(directory.path, batches: Self.batches(records[..<half]))
        try await LibraryLog.write(directory.path, batches: Self.batches(records[half...]), compression: .zstd)
        let stored = records.enumerated().map { offset, record in
            LogRecord(offset: Offset(UInt64(offset)), timestampMicroseconds: record.timestampMicroseconds!, key: record.key,
                      value: record.value, headers: record.headers, term: Term(0))
        }

        for (arguments, range) in [([String](), 0..<stored.count), (["--from", "5", "--count", "7"], 5..<12), (["--from", "\(half - 2)"], (half - 2)..<stored.count)] {
            let text = try CLI.run(["dump", directory.path] + arguments)
            #expect(text.code == 0, "\(text.stderr)")
            Self.expectSameLines(text.stdout, stored[range].map { ReferenceFormat.line($0) + "\n" }.joined(), arguments)
            let json = try CLI.run(["dump", directory.path, "--json"] + arguments)
            #expect(json.code == 0, "\(json.stderr)")
            Self.expectSameLines(json.stdout, stored[range].map { ReferenceFormat.json($0) + "\n" }.joined(), arguments + ["--json"])
        }

        let text = try CLI.run(["dump", directory.path, "--count", "4"]).stdoutLines
        #expect(text == [
            #"       0  1970-01-01T00:00:00.000000Z  "\"q\" \\ \t\n\r\u0001\u001f\u007f é ✓ 😀""#,
            #"       1  1969-12-31T23:59:59.999999Z  key=""  base64:wIA="#,
            #"       2  2023-11-14T22:13:20.123456Z  key=base64:gIE=  """#,
            #"       3  10000-01-01T00:00:00.000000Z  key="k\"ey"  "plain"  [trace="t\u0000"]  [h é=base64:/wA=]"#,
        ])
        let json = try CLI.run(["dump", directory.path, "--count", "4", "--json"]).stdoutLines
        #expect(json == [
            #"{"offset":0,"timestamp_us":0,"value_base64":"InEiIFwgCQoNAR9/IMOpIOKckyDwn5iA","value":"\"q\" \\ \t\n\r\u0001\u001f\u007f é ✓ 😀"}"#,
            #"{"offset":1,"timestamp_us":-1,"key_base64":"","key":"","value_base64":"wIA="}"#,
            #"{"offset":2,"timestamp_us":1700000000123456,"key_base64":"gIE=","value_base64":"","value":""}"#,
            #"{"offset":3,"timestamp_us":253402300800000000,"key_base64":"ayJleQ==","key":"k\"ey","value_base64":"cGxhaW4=","value":"plain","headers":[{"name":"trace","value_base64":"dAA=","value":"t\u0000"},{"name":"h é","value_base64":"/wA="}]}"#,
        ])
    }

    @Test("megabytes of output, written a megabyte at a time by the writer thread while the next is formatted, are the reference format")
    func largeOutput() async throws {
        // `OutputBuffer` hands the writer thread 1 MiB at a time: several hand-overs, then the rest.
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let records = Self.randomRecords(count: 4000, seed: 29, valueBytes: 2000)
        try await LibraryLog.write(directory.path, batches: Self.batches(records[...]))
        let stored = records.enumerated().map { offset, record in
            LogRecord(offset: Offset(UInt64(offset)), timestampMicroseconds: record.timestampMicroseconds!, key: record.key,
                      value: record.value, headers: record.headers, term: Term(0))
        }
        let text = try CLI.run(["dump", directory.path])
        #expect(text.code == 0, "\(text.stderr)")
        #expect(text.stdout.utf8.count > 4 << 20)
        Self.expectSameLines(text.stdout, stored.map { ReferenceFormat.line($0) + "\n" }.joined(), [])
        let json = try CLI.run(["dump", directory.path, "--json"])
        #expect(json.code == 0, "\(json.stderr)")
        #expect(json.stdout.utf8.count > 4 << 20)
        Self.expectSameLines(json.stdout, stored.map { ReferenceFormat.json($0) + "\n" }.joined(), ["--json"])
    }

    /// Compares line by line so that a failure names the first differing line.
    private static func expectSameLines(_ actual: String, _ expected: String, _ arguments: [String]) {
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(actualLines.count == expectedLines.count, "\(arguments): line count")
        if let first = zip(actualLines, expectedLines).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("\(arguments): line \(first) is\n\(actualLines[first])\nnot\n\(expectedLines[first])")
        }
    }

    private static func batches(_ records: ArraySlice<Record>) -> [[Record]] {
        stride(from: records.startIndex, to: records.endIndex, by: 5).map { Array(records[$0..<min($0 + 5, records.endIndex)]) }
    }

    /// Records whose formatting has a pitfall; the first four are pinned literally above.
    static func trickyRecords() -> [Record] {
        let utf8 = { (text: String) in Array(text.utf8) }
        var records = [
            Record(value: utf8("\"q\" \\ \t\n\r\u{1}\u{1F}\u{7F} é ✓ 😀"), timestampMicroseconds: 0),
            Record(value: [0xC0, 0x80], key: [], timestampMicroseconds: -1),
            Record(value: [], key: [0x80, 0x81], timestampMicroseconds: 1_700_000_000_123_456),
            Record(value: utf8("plain"), key: utf8("k\"ey"), headers: [RecordHeader(name: "trace", value: utf8("t\u{0}")), RecordHeader(name: "h é", value: [0xFF, 0x00])],
                   timestampMicroseconds: 253_402_300_800_000_000),
        ]
        // Every byte value alone, and after eight plain bytes (the formatter's word-at-a-time path).
        for byte in UInt8.min...UInt8.max {
            records.append(Record(value: [byte], timestampMicroseconds: Int64(byte) * 86_400_000_001))
            records.append(Record(value: utf8("abcdefgh") + [byte] + utf8("ijklmnopq"), timestampMicroseconds: -Int64(byte) * 3_600_000_007))
        }
        // UTF-8 at each length's boundaries, then malformed: overlong, surrogate, above U+10FFFF, cut short, stray continuation.
        let sequences: [[UInt8]] = [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
            [0xC1, 0xBF], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0xC2], [0xE1, 0x80], [0xF1, 0x80, 0x80], [0x80], [0xC2, 0x41], [0xE1, 0x80, 0x41],
        ]
        for (number, sequence) in sequences.enumerated() {
            records.append(Record(value: sequence, key: sequence, timestampMicroseconds: Int64(number)))
            records.append(Record(value: utf8("0123456789") + sequence, headers: [RecordHeader(name: "s", value: sequence + utf8("\"x"))], timestampMicroseconds: Int64(number)))
        }
        records.append(Record(value: [UInt8](repeating: UInt8(ascii: "z"), count: 7000) + utf8("\u{10FFFF}"), timestampMicroseconds: Int64.max / 2))
        return records
    }

    /// Values of up to `valueBytes` bytes from an alphabet of the bytes UTF-8 validation and
    /// escaping turn on.
    static func randomRecords(count: Int, seed: UInt64, valueBytes: Int = 40) -> [Record] {
        var generator = SplitMix(state: seed)
        let alphabet: [UInt8] = [0x00, 0x09, 0x0A, 0x1F, 0x20, 0x22, 0x41, 0x5C, 0x7E, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        func bytes(_ maximum: Int) -> [UInt8] {
            (0..<Int(generator.next() % UInt64(maximum + 1))).map { _ in
                generator.next() % 3 == 0 ? alphabet[Int(generator.next() % UInt64(alphabet.count))] : UInt8(ascii: "a") + UInt8(generator.next() % 26)
            }
        }
        return (0..<count).map { _ in
            let key: [UInt8]? = generator.next() % 2 == 0 ? nil : bytes(6)
            let headers = (0..<Int(generator.next() % 3)).map { number in RecordHeader(name: "h\(number)", value: bytes(5)) }
            return Record(value: bytes(valueBytes), key: key, headers: headers, timestampMicroseconds: Int64(bitPattern: generator.next() >> 12) - (1 << 50))
        }
    }
}

/// A small deterministic random generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The record formats as `iris-log` wrote them with Foundation strings before it formatted
/// bytes directly: the reference the byte-level formatter must match.
enum ReferenceFormat {
    static func line(_ record: LogRecord) -> String {
        func show(_ bytes: [UInt8]) -> String {
            guard let text = String(validating: bytes, as: UTF8.self) else { return "base64:" + Data(bytes).base64EncodedString() }
            return quote(text)
        }
        let offset = String(record.offset.rawValue)
        var line = String(repeating: " ", count: max(0, 8 - offset.count)) + offset
        line += "  " + timestamp(record.timestampMicroseconds)
        if let key = record.key { line += "  key=" + show(key) }
        line += "  " + show(record.value)
        for header in record.headers { line += "  [\(header.name)=\(show(header.value))]" }
        return line
    }

    static func json(_ record: LogRecord) -> String {
        func field(_ name: String, _ bytes: [UInt8]) -> String {
            var text = ",\"\(name)_base64\":\"\(Data(bytes).base64EncodedString())\""
            if let utf8 = String(validating: bytes, as: UTF8.self) { text += ",\"\(name)\":" + quote(utf8) }
            return text
        }
        var text = "{\"offset\":\(record.offset.rawValue),\"timestamp_us\":\(record.timestampMicroseconds)"
        if let key = record.key { text += field("key", key) }
        text += field("value", record.value)
        if !record.headers.isEmpty {
            text += ",\"headers\":[" + record.headers.map { "{\"name\":" + quote($0.name) + field("value", $0.value) + "}" }.joined(separator: ",") + "]"
        }
        return text + "}"
    }

    static func quote(_ string: String) -> String {
        var output = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: output += String(format: "\\u%04x", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    static func timestamp(_ microseconds: Int64) -> String {
        var seconds = microseconds / 1_000_000
        var fraction = microseconds % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "\(microseconds)us" }
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(fraction))
    }
}
