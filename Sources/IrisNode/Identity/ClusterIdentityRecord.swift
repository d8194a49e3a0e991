import IrisReplication

/// The cluster-identity file's one 64-byte record; SPEC.md §11.2.
///
/// Record (little-endian): u32 magic 0x4C435249 ("IRCL"), u32 version 1, u64 cluster ID,
/// u64 node ID, u32 partition count, u32 replica count, 28 zero bytes, u32 CRC32C of
/// bytes [0, 60).
enum ClusterIdentityRecord {
    static let magic: UInt32 = 0x4C43_5249
    static let reserved = 32..<60

    static func encode(_ identity: ClusterIdentity) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: SlotCoding.recordSize)
        SlotCoding.store(magic, &bytes, at: 0)
        SlotCoding.store(UInt32(1), &bytes, at: 4)
        SlotCoding.store(identity.clusterID.rawValue, &bytes, at: 8)
        SlotCoding.store(identity.nodeID.rawValue, &bytes, at: 16)
        SlotCoding.store(UInt32(identity.partitionCount), &bytes, at: 24)
        SlotCoding.store(UInt32(identity.replicaCount), &bytes, at: 28)
        SlotCoding.seal(&bytes)
        return bytes
    }

    /// The identity in a file's bytes, or why they are not one.
    static func decode(_ bytes: [UInt8]) -> Result<ClusterIdentity, SlotDefect> {
        guard bytes.count == SlotCoding.recordSize else {
            return .failure(SlotDefect(position: 0, detail: "the file has \(bytes.count) bytes, not \(SlotCoding.recordSize)"))
        }
        let record = bytes[...]
        if let defect = SlotCoding.defect(record, magic: magic, reserved: reserved) {
            return .failure(SlotDefect(position: 0, detail: defect))
        }
        let partitionCount = Int(SlotCoding.loadUInt32(record, at: 24))
        let replicaCount = Int(SlotCoding.loadUInt32(record, at: 28))
        guard (1...Placement.partitionCountMax).contains(partitionCount),
              Placement.supportedReplicaCounts.contains(replicaCount) else {
            return .failure(SlotDefect(position: 0, detail: "\(partitionCount) partitions × \(replicaCount) replicas is not a valid cluster"))
        }
        return .success(ClusterIdentity(
            clusterID: ClusterID(SlotCoding.loadUInt64(record, at: 8)),
            nodeID: NodeID(SlotCoding.loadUInt64(record, at: 16)),
            partitionCount: partitionCount,
            replicaCount: replicaCount))
    }
}
