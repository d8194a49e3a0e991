import Crypto
import Foundation
import X509

/// A throwaway P-256 CA that signs a development TLS directory's certificates; its key lives
/// only as long as this value (see `DevelopmentCertificates`).
struct DevelopmentCertificateAuthority {
    /// When the certificates are valid.
    struct Validity {
        /// The first instant.
        var notBefore: Date
        /// The last instant.
        var notAfter: Date
    }

    /// A certificate and its key, both PEM.
    struct Issued {
        /// The certificate, `-----BEGIN CERTIFICATE-----`.
        var certificatePEM: String
        /// Its private key, PKCS#8 `-----BEGIN PRIVATE KEY-----`.
        var keyPEM: String
    }

    /// The CA's own self-signed certificate.
    let certificate: Certificate
    /// The CA's key, which signs every certificate it issues.
    private let key: Certificate.PrivateKey

    /// A new CA: self-signed, CA basic constraint with path length 0 (it signs leaves only),
    /// key usage certificate and CRL signing.
    init(validity: Validity) throws(DevelopmentCertificateError) {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        self.key = key
        do {
            let name = try DistinguishedName {
                OrganizationName("Iris")
                CommonName("Iris development cluster CA")
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            }
            certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
                notValidBefore: validity.notBefore, notValidAfter: validity.notAfter, issuer: name, subject: name,
                signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key
            )
        } catch {
            throw .certificateFailed(detail: "CA: \(error)")
        }
    }

    /// The CA certificate as PEM, for `ca.pem`.
    func certificatePEM() throws(DevelopmentCertificateError) -> String {
        do {
            return try certificate.serializeAsPEM().pemString
        } catch {
            throw .certificateFailed(detail: "CA: \(error)")
        }
    }

    /// A new key and a leaf certificate for it: not a CA, digital signature only, the given
    /// extended key usages, and SANs `identity.uri` followed by `hosts`.
    func issue(
        to identity: PeerIdentity, hosts: [GeneralName], usages: [ExtendedKeyUsage.Usage], validity: Validity
    ) throws(DevelopmentCertificateError) -> Issued {
        let leafKey = P256.Signing.PrivateKey()
        let publicKey = Certificate.PrivateKey(leafKey).publicKey
        do {
            let subject = try DistinguishedName {
                OrganizationName("Iris")
                CommonName("iris \(identity)")
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                SubjectAlternativeNames([.uniformResourceIdentifier(identity.uri)] + hosts)
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: try certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            }
            let leaf = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: validity.notBefore, notValidAfter: validity.notAfter, issuer: certificate.subject,
                subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key
            )
            return Issued(certificatePEM: try leaf.serializeAsPEM().pemString, keyPEM: leafKey.pemRepresentation)
        } catch {
            throw .certificateFailed(detail: "\(identity): \(error)")
        }
    }
}
