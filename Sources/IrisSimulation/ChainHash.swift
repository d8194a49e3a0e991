import IrisReplication

/// Rolling hash over a log prefix: equal chain values at an offset mean (with
/// overwhelming probability) identical prefixes through that offset. Lets the
/// checker compare whole prefixes in O(1).
enum ChainHash {
    static func extend(_ previous: UInt64, with entry: Entry) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in entry.payload {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return mix(previous ^ mix(hash ^ entry.term.rawValue &* 0x9E37_79B9_7F4A_7C15) ^ entry.offset.rawValue)
    }

    static func mix(_ input: UInt64) -> UInt64 {
        var value = input &+ 0x9E37_79B9_7F4A_7C15
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
