/// File names inside a log directory; SPEC.md §2.
///
/// A segment is `<base offset as 20 decimal digits>.log`, its index the same name with
/// `.index`: the segment whose first record has offset 1234 is `00000000000000001234.log`.
package enum SegmentFileName {
    /// Extension of a segment file.
    package static let segmentExtension = ".log"
    /// Extension of a sealed segment's index file.
    package static let indexExtension = ".index"
    /// The checkpoint file (SPEC.md §5).
    package static let checkpoint = "checkpoint"
    /// The writer's lock file.
    package static let lock = "iris.lock"

    /// The segment file whose first record has offset `base`.
    package static func segment(_ base: Offset) -> String { digits(base) + segmentExtension }
    /// The index file of segment `base`.
    package static func index(_ base: Offset) -> String { digits(base) + indexExtension }

    /// The base offset named by a segment or index file name, nil for any other name.
    package static func baseOffset(of name: String, extension fileExtension: String) -> Offset? {
        guard name.hasSuffix(fileExtension) else { return nil }
        let stem = name.dropLast(fileExtension.count)
        guard stem.count == 20, stem.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt64(stem) else { return nil }
        return Offset(value)
    }

    private static func digits(_ offset: Offset) -> String {
        let text = String(offset.rawValue)
        return String(repeating: "0", count: 20 - text.count) + text
    }
}
