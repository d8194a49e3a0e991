import IrisLog

/// The two record formats of `dump`, `tail` and their `--cluster` forms (ARCHITECTURE §6),
/// written straight into an `OutputBuffer` as bytes: no intermediate strings, values escaped
/// and validated as UTF-8 in one pass, eight plain ASCII bytes at a time.
///
/// - Line: offset (right-aligned), ISO 8601 UTC time with microseconds, `key=` and the key
///   when there is one, the value, then `[name=value]` per header. A key or value that is
///   valid UTF-8 is shown as a JSON string, otherwise as `base64:` and its base64.
/// - JSON: `{"offset":N,"timestamp_us":T,"key_base64":…,"key":…,"value_base64":…,"value":…,
///   "headers":[{"name":…,"value_base64":…,"value":…}]}`; `key…` only with a key, `headers`
///   only when there are some, and each text field only when the bytes are valid UTF-8.
enum RecordFormat {
    /// Writes `record` as one human-readable line, newline included.
    static func line(_ record: LogRecord, offsetWidth: Int, into out: OutputBuffer) {
        let offset = record.offset.rawValue
        let pad = offsetWidth - decimalCount(offset)
        if pad > 0 {
            out.reserve(pad).update(repeating: UInt8(ascii: " "), count: pad)
            out.advance(pad)
        }
        decimal(offset, into: out)
        out.append("  ")
        timestamp(record.timestampMicroseconds, into: out)
        if let key = record.key {
            out.append("  key=")
            shown(key, into: out)
        }
        out.append("  ")
        shown(record.value, into: out)
        for header in record.headers {
            out.append("  [")
            out.append(header.name)
            out.append("=")
            shown(header.value, into: out)
            out.append("]")
        }
        out.append("\n")
    }

    /// Writes `record` as one JSON object on a line of its own, newline included.
    static func json(_ record: LogRecord, into out: OutputBuffer) {
        out.append("{\"offset\":")
        decimal(record.offset.rawValue, into: out)
        out.append(",\"timestamp_us\":")
        decimal(record.timestampMicroseconds, into: out)
        if let key = record.key {
            out.append(",\"key_base64\":")
            bytesAndText(key, textField: ",\"key\":", into: out)
        }
        out.append(",\"value_base64\":")
        bytesAndText(record.value, textField: ",\"value\":", into: out)
        if !record.headers.isEmpty {
            out.append(",\"headers\":[")
            for (number, header) in record.headers.enumerated() {
                out.append(number == 0 ? "{\"name\":" : ",{\"name\":")
                var name = header.name
                name.withUTF8 { utf8 in
                    // A Swift string is valid UTF-8, so this always writes.
                    precondition(quotedIfUTF8(UnsafeRawBufferPointer(utf8), into: out), "a String is valid UTF-8")
                }
                out.append(",\"value_base64\":")
                bytesAndText(header.value, textField: ",\"value\":", into: out)
                out.append("}")
            }
            out.append("]")
        }
        out.append("}\n")
    }

    /// A key or value on a line: quoted when valid UTF-8, else `base64:` and its base64.
    private static func shown(_ bytes: [UInt8], into out: OutputBuffer) {
        bytes.withUnsafeBytes { bytes in
            if !quotedIfUTF8(bytes, into: out) {
                out.append("base64:")
                base64(bytes, into: out)
            }
        }
    }

    /// `"base64"`, then `textField` and the quoted text when `bytes` are valid UTF-8.
    private static func bytesAndText(_ bytes: [UInt8], textField: StaticString, into out: OutputBuffer) {
        bytes.withUnsafeBytes { bytes in
            out.append("\"")
            base64(bytes, into: out)
            out.append("\"")
            let mark = out.count
            out.append(textField)
            if !quotedIfUTF8(bytes, into: out) { out.truncate(to: mark) }
        }
    }

    // MARK: Strings

    /// Writes `bytes` as a JSON string and returns true when they are valid UTF-8; otherwise
    /// writes nothing and returns false. Escapes `"` `\` as themselves, newline, return and
    /// tab as `\n` `\r` `\t`, other control characters and DEL as `\u00xx`; every other
    /// character is copied as it is.
    static func quotedIfUTF8(_ bytes: UnsafeRawBufferPointer, into out: OutputBuffer) -> Bool {
        let count = bytes.count
        // The most a byte becomes is six (`\u00xx`), plus the two quotes.
        let output = out.reserve(count * 6 + 2)
        output[0] = quote
        var written = 1
        if count > 0, let start = bytes.baseAddress {
            let input = start.assumingMemoryBound(to: UInt8.self)
            var read = 0
            while read < count {
                if read + 8 <= count {
                    // Copy eight bytes, then keep those before the first one that needs care.
                    let word = UnsafeRawPointer(input + read).loadUnaligned(as: UInt64.self)
                    UnsafeMutableRawPointer(output + written).storeBytes(of: word, as: UInt64.self)
                    let plain = plainASCIIPrefix(UInt64(littleEndian: word))
                    read += plain
                    written += plain
                    if plain == 8 { continue }
                }
                let byte = input[read]
                if byte < 0x80 {
                    written += escaped(byte, into: output + written)
                    read += 1
                    continue
                }
                let length = utf8SequenceLength(input + read, available: count - read)
                guard length > 0 else { return false }
                (output + written).update(from: input + read, count: length)
                read += length
                written += length
            }
        }
        output[written] = quote
        out.advance(written + 1)
        return true
    }

    private static let quote = UInt8(ascii: "\"")

    /// How many of the eight bytes of `word` (first byte lowest) come before the first that is
    /// escaped or not ASCII: below 0x20, 0x7F and above, `"` or `\`.
    @inline(__always)
    private static func plainASCIIPrefix(_ word: UInt64) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // Sets the high bit of a byte that is zero; bytes above the lowest zero byte may be
        // flagged wrongly (borrows), never ones below it, so the lowest flag is exact.
        @inline(__always) func zeroBytes(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
        let nonASCII = word & highs
        let control = (word &- ones &* 0x20) & ~word & highs
        let special = zeroBytes(word ^ (ones &* 0x22)) | zeroBytes(word ^ (ones &* 0x5C)) | zeroBytes(word ^ (ones &* 0x7F))
        return (nonASCII | control | special).trailingZeroBitCount >> 3
    }

    /// Writes the ASCII `byte` as it appears in a JSON string; returns the bytes written.
    @inline(__always)
    private static func escaped(_ byte: UInt8, into output: UnsafeMutablePointer<UInt8>) -> Int {
        let backslash = UInt8(ascii: "\\")
        switch byte {
        case UInt8(ascii: "\""), backslash:
            output[0] = backslash
            output[1] = byte
            return 2
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
            output[0] = backslash
            output[1] = byte == UInt8(ascii: "\n") ? UInt8(ascii: "n") : byte == UInt8(ascii: "\r") ? UInt8(ascii: "r") : UInt8(ascii: "t")
            return 2
        case 0..<0x20, 0x7F:
            let hex: StaticString = "0123456789abcdef"
            output[0] = backslash
            output[1] = UInt8(ascii: "u")
            output[2] = UInt8(ascii: "0")
            output[3] = UInt8(ascii: "0")
            output[4] = hex.utf8Start[Int(byte >> 4)]
            output[5] = hex.utf8Start[Int(byte & 0xF)]
            return 6
        default:
            output[0] = byte
            return 1
        }
    }

    /// The length of the well-formed UTF-8 sequence of two to four bytes at `bytes` (Unicode
    /// Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or 0 when there
    /// is none there.
    @inline(__always)
    static func utf8SequenceLength(_ bytes: UnsafePointer<UInt8>, available: Int) -> Int {
        @inline(__always) func continuation(_ byte: UInt8, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool { byte >= low && byte <= high }
        let lead = bytes[0]
        switch lead {
        case 0xC2...0xDF:
            return available >= 2 && continuation(bytes[1]) ? 2 : 0
        case 0xE0...0xEF:
            guard available >= 3 else { return 0 }
            let second = lead == 0xE0 ? continuation(bytes[1], 0xA0) : lead == 0xED ? continuation(bytes[1], 0x80, 0x9F) : continuation(bytes[1])
            return second && continuation(bytes[2]) ? 3 : 0
        case 0xF0...0xF4:
            guard available >= 4 else { return 0 }
            let second = lead == 0xF0 ? continuation(bytes[1], 0x90) : lead == 0xF4 ? continuation(bytes[1], 0x80, 0x8F) : continuation(bytes[1])
            return second && continuation(bytes[2]) && continuation(bytes[3]) ? 4 : 0
        default:
            return 0
        }
    }

    // MARK: Base64

    private static let base64Alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// The two base64 characters of each 12-bit value, the first in the low byte.
    private static let base64Pairs: [UInt16] = (0..<4096).map { value in
        let alphabet = base64Alphabet.utf8Start
        return UInt16(alphabet[value >> 6]) | UInt16(alphabet[value & 63]) << 8
    }

    /// Writes `bytes` in standard base64 with `=` padding, as `Data.base64EncodedString()`.
    static func base64(_ bytes: UnsafeRawBufferPointer, into out: OutputBuffer) {
        let count = bytes.count
        guard count > 0, let start = bytes.baseAddress else { return }
        let input = start.assumingMemoryBound(to: UInt8.self)
        let output = out.reserve((count + 2) / 3 * 4)
        let alphabet = base64Alphabet.utf8Start
        var read = 0
        var written = 0
        base64Pairs.withUnsafeBufferPointer { pairs in
            // Six bytes (read as eight) at a time: four 12-bit lookups, one 8-byte store.
            while read + 8 <= count {
                let bits = UInt64(bigEndian: UnsafeRawPointer(input + read).loadUnaligned(as: UInt64.self))
                let text = UInt64(pairs[Int(bits >> 52)]) | UInt64(pairs[Int(bits >> 40 & 0xFFF)]) << 16
                    | UInt64(pairs[Int(bits >> 28 & 0xFFF)]) << 32 | UInt64(pairs[Int(bits >> 16 & 0xFFF)]) << 48
                UnsafeMutableRawPointer(output + written).storeBytes(of: text.littleEndian, as: UInt64.self)
                read += 6
                written += 8
            }
        }
        while read + 3 <= count {
            let group = UInt32(input[read]) << 16 | UInt32(input[read + 1]) << 8 | UInt32(input[read + 2])
            output[written] = alphabet[Int(group >> 18)]
            output[written + 1] = alphabet[Int(group >> 12 & 63)]
            output[written + 2] = alphabet[Int(group >> 6 & 63)]
            output[written + 3] = alphabet[Int(group & 63)]
            read += 3
            written += 4
        }
        let left = count - read
        if left > 0 {
            let group = UInt32(input[read]) << 16 | (left == 2 ? UInt32(input[read + 1]) << 8 : 0)
            output[written] = alphabet[Int(group >> 18)]
            output[written + 1] = alphabet[Int(group >> 12 & 63)]
            output[written + 2] = left == 2 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "=")
            output[written + 3] = UInt8(ascii: "=")
            written += 4
        }
        out.advance(written)
    }

    // MARK: Numbers and times

    /// The number of decimal digits of `value`.
    private static func decimalCount(_ value: UInt64) -> Int {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }

    /// Writes `value` in decimal.
    static func decimal(_ value: UInt64, into out: OutputBuffer) {
        let digits = decimalCount(value)
        let output = out.reserve(digits)
        var rest = value
        for position in stride(from: digits - 1, through: 0, by: -1) {
            output[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        out.advance(digits)
    }

    /// Writes `value` in decimal, with `-` when negative.
    static func decimal(_ value: Int64, into out: OutputBuffer) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        decimal(value.magnitude, into: out)
    }

    /// Writes `value` as exactly `digits` decimal digits (zero-padded; `value` fits).
    @inline(__always)
    private static func padded(_ value: Int, digits: Int, into output: UnsafeMutablePointer<UInt8>) {
        var rest = value
        for position in stride(from: digits - 1, through: 0, by: -1) {
            output[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
    }

    /// Writes microseconds since the epoch as `formatTimestamp` does (ISO 8601 UTC, six
    /// fractional digits), computing the civil date directly for years 0 to 9999 and leaving
    /// other years to `formatTimestamp`.
    static func timestamp(_ microseconds: Int64, into out: OutputBuffer) {
        var seconds = microseconds / 1_000_000
        var fraction = microseconds % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        // Days since 1970-01-01 to the proleptic Gregorian date (H. Hinnant's civil_from_days).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        guard (0...9999).contains(year) else { return out.append(formatTimestamp(microseconds)) }
        // YYYY-MM-DDTHH:MM:SS.ffffffZ
        let output = out.reserve(27)
        padded(Int(year), digits: 4, into: output)
        output[4] = UInt8(ascii: "-")
        padded(Int(month), digits: 2, into: output + 5)
        output[7] = UInt8(ascii: "-")
        padded(Int(day), digits: 2, into: output + 8)
        output[10] = UInt8(ascii: "T")
        padded(Int(secondOfDay / 3600), digits: 2, into: output + 11)
        output[13] = UInt8(ascii: ":")
        padded(Int(secondOfDay / 60 % 60), digits: 2, into: output + 14)
        output[16] = UInt8(ascii: ":")
        padded(Int(secondOfDay % 60), digits: 2, into: output + 17)
        output[19] = UInt8(ascii: ".")
        padded(Int(fraction), digits: 6, into: output + 20)
        output[26] = UInt8(ascii: "Z")
        out.advance(27)
    }
}
