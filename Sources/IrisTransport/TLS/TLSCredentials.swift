import NIOSSL

/// What a TLS directory holds for one role, loaded and checked (`TLSDirectory.load(_:)`): the
/// cluster CA to verify peers against, and the certificate chain and key to present.
public struct TLSCredentials: Sendable {
    /// The CA certificates of `ca.pem`: the only trust roots; a peer's certificate must chain to one.
    public var certificateAuthorities: [NIOSSLCertificate]
    /// The certificate to present, first, then any intermediates from the same file.
    public var certificateChain: [NIOSSLCertificate]
    /// The private key of the first certificate in `certificateChain`.
    public var privateKey: NIOSSLPrivateKey
    /// The identity the presented certificate carries.
    public var identity: PeerIdentity

    /// Credentials as given; `TLSDirectory.load(_:)` is the usual way to get them.
    public init(
        certificateAuthorities: [NIOSSLCertificate], certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey,
        identity: PeerIdentity
    ) {
        self.certificateAuthorities = certificateAuthorities
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.identity = identity
    }
}
