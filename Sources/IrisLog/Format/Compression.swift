import CZstd

/// zstd compression of frame payloads. The CRC covers the stored (compressed) bytes, so
/// verification and replication never decompress.
enum Compression {
    /// Compresses `payload`; nil when compression would not make it smaller.
    static func compress(_ payload: [UInt8], level: Int32) -> [UInt8]? {
        let bound = ZSTD_compressBound(payload.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out in
            payload.withUnsafeBytes { input in
                ZSTD_compress(out.baseAddress, bound, input.baseAddress, input.count, level)
            }
        }
        guard ZSTD_isError(written) == 0, written < payload.count else { return nil }
        output.removeLast(bound - written)
        return output
    }

    /// Decompresses `stored` into exactly `uncompressedLength` bytes.
    static func decompress(_ stored: UnsafeRawBufferPointer, uncompressedLength: Int) throws(FrameDefect) -> [UInt8] {
        let declared = ZSTD_getFrameContentSize(stored.baseAddress, stored.count)
        guard declared != UInt64.max, declared != UInt64.max - 1 else {
            throw .badCompression("not a zstd frame or content size unknown")
        }
        guard declared == UInt64(uncompressedLength) else {
            throw .badCompression("zstd content size \(declared) differs from header \(uncompressedLength)")
        }
        var output = [UInt8](repeating: 0, count: uncompressedLength)
        let produced = output.withUnsafeMutableBytes { out in
            ZSTD_decompress(out.baseAddress, uncompressedLength, stored.baseAddress, stored.count)
        }
        if ZSTD_isError(produced) != 0 {
            throw .badCompression(String(cString: ZSTD_getErrorName(produced)))
        }
        guard produced == uncompressedLength else {
            throw .badCompression("decompressed \(produced) bytes, header says \(uncompressedLength)")
        }
        return output
    }
}
