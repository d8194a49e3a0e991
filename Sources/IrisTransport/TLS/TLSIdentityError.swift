import IrisReplication

/// Why a peer's identity could not be established or is not the one expected (SPEC.md §13.3).
/// A connection that gets one of these must be closed.
public enum TLSIdentityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The channel has no TLS handler: it is plain TCP, so there is no certificate to read.
    case notTLS
    /// The connection closed before its peer's certificate could be read.
    case connectionClosed
    /// The TLS handshake has not completed, or the peer presented no certificate.
    case noPeerCertificate
    /// The peer's certificate could not be decoded.
    case unreadableCertificate(detail: String)
    /// The certificate has no `iris://` URI subject alternative name.
    case noIdentity(subject: String)
    /// The certificate has more than one `iris://` URI, so it names no single peer.
    case ambiguousIdentity(uris: [String])
    /// The certificate has an `iris://` URI that is not `iris://node/N` or `iris://client/NAME`.
    case malformedIdentity(uri: String)
    /// The certificate is valid but names another peer than the one expected.
    case wrongPeer(expected: PeerIdentity, presented: PeerIdentity)

    /// What is wrong and what to do next.
    public var description: String {
        switch self {
        case .notTLS:
            "the connection is plain TCP, not TLS; start every node with the same --tls-dir"
        case .connectionClosed:
            "the connection closed before the peer's certificate could be read"
        case .noPeerCertificate:
            "the peer presented no certificate (or the TLS handshake has not completed); peers and clients need a certificate from the cluster's TLS directory"
        case .unreadableCertificate(let detail):
            "the peer's certificate cannot be decoded (\(detail)); reissue it with `irisd certs`"
        case .noIdentity(let subject):
            "the peer's certificate (\(subject)) has no iris://node/N or iris://client/NAME subject alternative name; reissue it with `irisd certs`"
        case .ambiguousIdentity(let uris):
            "the peer's certificate names several identities (\(uris.joined(separator: ", "))); a certificate must carry exactly one"
        case .malformedIdentity(let uri):
            "the peer's certificate has a malformed identity \(uri); expected iris://node/N or iris://client/NAME"
        case .wrongPeer(let expected, let presented):
            "the peer's certificate is for \(presented), but it claims to be \(expected); check --cluster addresses and each node's --id"
        }
    }
}
