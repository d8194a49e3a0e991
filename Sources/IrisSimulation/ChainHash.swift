import IrisLog

/// Rolling hash over a log prefix: equal chain values at a frame end mean (with
/// overwhelming probability) identical prefixes through it. Lets the checker compare
/// whole prefixes in O(1). 64 bits, independent of the frames' own 32-bit CRC chain.
enum ChainHash {
    static func extend(_ previous: UInt64, with frame: SealedFrame) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in frame.bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return mix(previous ^ mix(hash))
    }

    static func mix(_ input: UInt64) -> UInt64 {
        var value = input &+ 0x9E37_79B9_7F4A_7C15
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
