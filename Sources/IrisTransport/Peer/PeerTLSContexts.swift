import IrisReplication
import NIOCore
import NIOSSL

/// The TLS contexts of a node's peer connections: the server side of what it accepts and the
/// client side of what it dials, both presenting the node's certificate (SPEC.md §13).
public struct PeerTLSContexts: Sendable {
    /// For accepted connections: requires a client certificate signed by the cluster CA.
    public let server: NIOSSLContext
    /// For dialed connections: presents the node's certificate, verifies the peer's.
    public let client: NIOSSLContext

    /// Loads node `nodeID`'s contexts from a TLS directory.
    ///
    /// - Throws: `TLSDirectoryError` naming the missing or unreadable file.
    public init(directory: TLSDirectory, nodeID: NodeID) throws(TLSDirectoryError) {
        server = try IrisTLS.serverContext(directory: directory, nodeID: nodeID)
        client = try IrisTLS.clientContext(directory: directory, role: .node(nodeID))
    }

    /// Succeeds when the connection's verified certificate names node `peer`.
    static func requireNode(_ peer: NodeID, on channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeFutureWithTask {
            try await IrisTLS.requireNode(peer, on: channel)
        }
    }
}
