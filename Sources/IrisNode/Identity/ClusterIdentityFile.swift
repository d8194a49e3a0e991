import IrisLog

/// The data directory's cluster-identity file (`DATA/cluster`): written once, whole, when the
/// directory is created, and checked at every start; SPEC.md §11.2.
package enum ClusterIdentityFile {
    /// What `check` found.
    package enum Outcome: Equatable, Sendable {
        /// The file did not exist and now holds the configured identity (a new directory).
        case created
        /// The file holds the configured identity.
        case matched
    }

    /// The identity stored at `path`, nil when the file does not exist.
    ///
    /// - Throws: `ClusterIdentityError.damaged` when the file is not a valid record; `.io`.
    package static func load(path: String, storage: any Storage) throws(ClusterIdentityError) -> ClusterIdentity? {
        let bytes: [UInt8]
        do throws(StorageError) {
            guard let file = try storage.openExisting(path) else { return nil }
            // One byte more than a record, so that a longer file is seen as one.
            bytes = try file.read(count: SlotCoding.recordSize + 1, at: 0)
        } catch {
            throw .io(error)
        }
        switch ClusterIdentityRecord.decode(bytes) {
        case .success(let identity): return identity
        case .failure(let defect): throw .damaged(path: path, detail: defect.detail)
        }
    }

    /// Writes `identity` to `path` durably and atomically (temporary file, fsync, rename,
    /// directory fsync), replacing any file there.
    package static func create(_ identity: ClusterIdentity, path: String, storage: any Storage) throws(ClusterIdentityError) {
        do throws(StorageError) {
            try storage.replaceFile(path, with: ClusterIdentityRecord.encode(identity))
        } catch {
            throw .io(error)
        }
    }

    /// Checks a starting node's configuration against its data directory: creates the file
    /// when it does not exist, and otherwise refuses any difference.
    ///
    /// The caller MUST run this before creating or opening any partition in the directory.
    /// - Throws: the `ClusterIdentityError` of the first difference, in the order cluster,
    ///   node, partition count, replica count; `.damaged`; `.io`.
    package static func check(_ configured: ClusterIdentity, path: String, storage: any Storage) throws(ClusterIdentityError) -> Outcome {
        guard let stored = try load(path: path, storage: storage) else {
            try create(configured, path: path, storage: storage)
            return .created
        }
        if stored.clusterID != configured.clusterID {
            throw .clusterMismatch(path: path, stored: stored.clusterID, configured: configured.clusterID)
        }
        if stored.nodeID != configured.nodeID {
            throw .nodeMismatch(path: path, stored: stored.nodeID, configured: configured.nodeID)
        }
        if stored.partitionCount != configured.partitionCount {
            throw .partitionCountMismatch(path: path, stored: stored.partitionCount, configured: configured.partitionCount)
        }
        if stored.replicaCount != configured.replicaCount {
            throw .replicaCountMismatch(path: path, stored: stored.replicaCount, configured: configured.replicaCount)
        }
        return .matched
    }
}
