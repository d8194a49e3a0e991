import IrisReplication
import NIOCore
import NIOSSL
import X509

/// Mutual TLS for irisd's connections (SPEC.md §13): every connection, peer or client, presents a
/// certificate signed by the cluster CA and verifies the other end's against that CA only.
/// Identities are read from the certificates after the handshake (`peerIdentity(on:)`), not from
/// host names.
public enum IrisTLS {
    /// The context a node serves peers and clients with: presents `node-N.pem`, requires a client
    /// certificate that chains to `ca.pem` (no host name check: the identity check follows the
    /// handshake), TLS 1.3 only.
    /// - Throws: `TLSDirectoryError` naming a missing or wrong file (see `TLSDirectory.load(_:)`).
    public static func serverContext(directory: TLSDirectory, nodeID: NodeID) throws(TLSDirectoryError) -> NIOSSLContext {
        try context(serverConfiguration(directory.load(.node(nodeID))))
    }

    /// The context a node dials its peers with (`role` `.node(N)`), or a client dials nodes with
    /// (`.client`): presents the role's certificate and verifies the server's against `ca.pem`.
    /// The caller then checks who answered with `requireNode(_:on:)`.
    /// - Throws: `TLSDirectoryError` naming a missing or wrong file.
    public static func clientContext(directory: TLSDirectory, role: TLSRole) throws(TLSDirectoryError) -> NIOSSLContext {
        try context(clientConfiguration(directory.load(role)))
    }

    /// The server configuration `serverContext(directory:nodeID:)` uses, for callers that load
    /// credentials themselves.
    public static func serverConfiguration(_ credentials: TLSCredentials) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: credentials.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(credentials.privateKey),
            trustRoots: .certificates(credentials.certificateAuthorities)
        )
        restrict(&configuration)
        return configuration
    }

    /// The client configuration `clientContext(directory:role:)` uses, for callers that load
    /// credentials themselves.
    public static func clientConfiguration(_ credentials: TLSCredentials) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = credentials.certificateChain.map { .certificate($0) }
        configuration.privateKey = .privateKey(credentials.privateKey)
        configuration.trustRoots = .certificates(credentials.certificateAuthorities)
        restrict(&configuration)
        return configuration
    }

    /// A context for `configuration`.
    /// - Throws: `TLSDirectoryError.contextFailed` with NIOSSL's reason.
    public static func context(_ configuration: TLSConfiguration) throws(TLSDirectoryError) -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .contextFailed(detail: "\(error)")
        }
    }

    /// What both ends share: TLS 1.3 only (both ends are Iris), the cluster CA as the only trust
    /// root, and verification of the peer's chain without a host name check, because nodes are
    /// dialled by address and identified by the `iris://` name in their certificate instead.
    private static func restrict(_ configuration: inout TLSConfiguration) {
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .noHostnameVerification
        configuration.additionalTrustRoots = []
    }
}
