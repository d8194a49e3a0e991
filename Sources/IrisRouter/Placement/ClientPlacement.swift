/// Which partition holds a client's session and messages: a stable hash of the client ID
/// (64-bit FNV-1a of its UTF-8 bytes) modulo the partition count (SPEC.md §16.1). Every node
/// computes the same answer, so a session has exactly one owner: its partition's leader.
public enum ClientPlacement {
    /// The partition of `clientID` among `partitionCount`.
    public static func partition(of clientID: String, partitionCount: Int) -> Int {
        precondition(partitionCount > 0, "a cluster has at least one partition")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in clientID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(partitionCount))
    }
}
