import IrisReplication

/// Which credentials of a TLS directory a process presents (SPEC.md §13.1): a node its own
/// `node-N.pem`, a client the directory's `client.pem`.
public enum TLSRole: Hashable, Sendable, CustomStringConvertible {
    /// Node `N`: presents `node-N.pem` and `node-N.key`, whose certificate must say `iris://node/N`.
    case node(NodeID)
    /// A client: presents `client.pem` and `client.key`, whose certificate must say
    /// `iris://client/NAME` for some name.
    case client

    /// "node 3" or "client", for messages.
    public var description: String {
        switch self {
        case .node(let node): "node \(node.rawValue)"
        case .client: "client"
        }
    }

    /// Whether a certificate naming `identity` is the right one for this role.
    func accepts(_ identity: PeerIdentity) -> Bool {
        switch (self, identity) {
        case (.node(let expected), .node(let presented)): expected == presented
        case (.client, .client): true
        default: false
        }
    }
}
