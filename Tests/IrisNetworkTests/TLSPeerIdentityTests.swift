import Crypto
import Foundation
import IrisReplication
import IrisTransport
import Testing
import X509

/// Identity URIs (SPEC.md §13.2): one spelling per identity, everything else refused.
@Suite struct TLSPeerIdentityTests {
    @Test(arguments: [
        PeerIdentity.node(NodeID(0)), .node(NodeID(1)), .node(NodeID(42)), .node(NodeID(UInt64.max)),
        .client("iris"), .client("iris-log_2.a"), .client(String(repeating: "x", count: 64)),
    ])
    func uriRoundTrips(identity: PeerIdentity) {
        #expect(PeerIdentity(uri: identity.uri) == identity)
    }

    @Test func uriSpellings() {
        #expect(PeerIdentity.node(NodeID(3)).uri == "iris://node/3")
        #expect(PeerIdentity.client("iris").uri == "iris://client/iris")
    }

    @Test(arguments: [
        "iris://node/01", "iris://node/", "iris://node/-1", "iris://node/+1", "iris://node/18446744073709551616",
        "iris://node/1/", "iris://node/1 ", "iris://node/\u{0661}", "iris://NODE/1", "IRIS://node/1", "iris:/node/1",
        "iris://client/", "iris://client/a b", "iris://client/a/b", "iris://client/" + String(repeating: "x", count: 65),
        "iris://client/é", "iris://other/1", "https://node/1", "",
    ])
    func malformedURIIsRefused(uri: String) {
        #expect(PeerIdentity(uri: uri) == nil)
    }

    /// A self-signed certificate with the given SANs (the chain does not matter to the extraction).
    private func certificate(_ names: [GeneralName]) throws -> Certificate {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName { CommonName("test") }
        let extensions = try Certificate.Extensions { SubjectAlternativeNames(names) }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey, notValidBefore: Date(),
            notValidAfter: Date().addingTimeInterval(3600), issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: key)
    }

    @Test func certificateIdentityIsItsOneIrisURI() throws {
        let found = try PeerIdentity(certificate: certificate([.dnsName("localhost"), .uniformResourceIdentifier("spiffe://x/y"),
                                                               .uniformResourceIdentifier("iris://node/5")]))
        #expect(found == .node(NodeID(5)))
    }

    @Test func certificateWithoutIrisURIHasNoIdentity() throws {
        let withoutSAN = try certificate([.dnsName("localhost")])
        #expect(throws: TLSIdentityError.noIdentity(subject: "\(withoutSAN.subject)")) { try PeerIdentity(certificate: withoutSAN) }
    }

    @Test func certificateWithTwoIdentitiesIsAmbiguous() throws {
        let two = try certificate([.uniformResourceIdentifier("iris://node/1"), .uniformResourceIdentifier("iris://node/2")])
        #expect(throws: TLSIdentityError.ambiguousIdentity(uris: ["iris://node/1", "iris://node/2"])) { try PeerIdentity(certificate: two) }
    }

    @Test func irisURIInAnotherSpellingIsMalformedNotIgnored() throws {
        let upper = try certificate([.uniformResourceIdentifier("IRIS://node/1")])
        #expect(throws: TLSIdentityError.malformedIdentity(uri: "IRIS://node/1")) { try PeerIdentity(certificate: upper) }
        let two = try certificate([.uniformResourceIdentifier("Iris://node/1"), .uniformResourceIdentifier("iris://node/2")])
        #expect(throws: TLSIdentityError.ambiguousIdentity(uris: ["Iris://node/1", "iris://node/2"])) { try PeerIdentity(certificate: two) }
    }
}
