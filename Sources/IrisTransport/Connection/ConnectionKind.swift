/// What a new connection to a node's port speaks, told by its first 8 bytes (SPEC.md §12.1).
public enum ConnectionKind: Sendable, Hashable {
    /// Another node: the replication protocol ("IRSP").
    case peer
    /// A client: the client protocol ("IRSC").
    case client
}
