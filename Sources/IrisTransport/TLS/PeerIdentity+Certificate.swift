import X509

extension PeerIdentity {
    /// The identity a certificate carries: its one URI subject alternative name with the `iris`
    /// scheme (in any letter case, so that no spelling can slip past as "not ours"). Other SANs
    /// (DNS names, IP addresses, other URIs) are ignored. Call this only on a
    /// certificate the TLS handshake has validated against the cluster CA.
    /// - Throws: `TLSIdentityError` when the certificate has no such URI, several, or a
    ///   malformed one, or its SAN extension cannot be decoded.
    public init(certificate: Certificate) throws(TLSIdentityError) {
        let names: SubjectAlternativeNames?
        do {
            names = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw .unreadableCertificate(detail: "subject alternative names: \(error)")
        }
        var uris: [String] = []
        for name in names ?? SubjectAlternativeNames() {
            if case .uniformResourceIdentifier(let uri) = name, uri.lowercased().hasPrefix("iris:") {
                uris.append(uri)
            }
        }
        guard let uri = uris.first else { throw .noIdentity(subject: "\(certificate.subject)") }
        guard uris.count == 1 else { throw .ambiguousIdentity(uris: uris) }
        guard let identity = PeerIdentity(uri: uri) else { throw .malformedIdentity(uri: uri) }
        self = identity
    }
}
