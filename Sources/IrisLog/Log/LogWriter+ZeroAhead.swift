/// Zeroes written ahead of the data (SPEC.md §2.1).
///
/// A segment is preallocated with `fallocate`, which leaves its extents *unwritten*: the first
/// write to a block converts it, and the fdatasync after that write must make the conversion
/// (file-system metadata: a journal commit, or on the journal-less ext4 measured here the extent
/// block itself) durable as well as the data: about a second device write and flush per sync
/// (`Tools/iris-bench/prezero-sync.py`: 4 KiB groups synced 1.6-2× faster into written
/// blocks). So when the data comes within half of `zeroAheadBytes` of the zeroed end,
/// the writer writes zeroes from there to `zeroAheadBytes` past the data: one sync in many pays
/// for a conversion, the others overwrite written blocks and carry data only. Zeroes read the
/// same as unwritten space, so neither the format nor recovery changes: any part of them may
/// survive a power loss, which reads the same as none.
///
/// A group of half the lead or more writes no zeroes: its own sync commits its conversion
/// anyway, and zeroes behind it would cost as many bytes again for the next, equally large group
/// to overwrite (64 KiB records x 64 producers: groups of ~1.5 MiB, fdatasync p50 1.3-1.5 ms
/// without the zeroes, 1.7-2.3 ms with them).
extension LogWriter {
    /// Called after a group of `groupBytes` is written, with `position` at its end.
    func zeroAhead(groupBytes: Int) throws {
        let lead = configuration.zeroAheadBytes
        guard lead > 0, groupBytes < lead / 2, zeroedEnd - position < lead / 2 else { return }
        let start = max(zeroedEnd, position)
        let end = min(configuration.segmentSizeBytes, position + lead)
        var at = start
        while at < end {
            let count = min(end - at, LogWriter.zeroes.count)
            try LogWriter.zeroes.withUnsafeBytes { zeroes in
                try active.file.write(UnsafeRawBufferPointer(rebasing: zeroes[0..<count]), at: at)
            }
            at += count
        }
        zeroedEnd = max(zeroedEnd, end)
    }

    /// The source of every zero-ahead write: one megabyte, shared by all logs.
    private static let zeroes = [UInt8](repeating: 0, count: 1 << 20)
}
