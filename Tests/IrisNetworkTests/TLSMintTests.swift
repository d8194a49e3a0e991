import Foundation
import IrisReplication
import IrisTransport
import Testing
import X509

/// `DevelopmentCertificates.mint` (`irisd certs`): what it writes and what it refuses.
@Suite struct TLSMintTests {
    private func certificate(_ path: String) throws -> Certificate {
        try Certificate(pemEncoded: String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self))
    }

    private func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func writesEveryFileWithKeysOwnerOnly() throws {
        let directory = try TLSTestDirectory(mint: false)
        defer { directory.cleanup() }
        let written = try DevelopmentCertificates.mint(directory: directory.tls.path, nodes: [NodeID(1), NodeID(2)], hosts: [])
        let names = ["node-1.pem", "node-1.key", "node-2.pem", "node-2.key", "client.pem", "client.key", "ca.pem"]
        #expect(written == names.map { directory.tls.path + "/" + $0 })
        for path in written {
            #expect(try mode(path) == (path.hasSuffix(".key") ? 0o600 : 0o644), "\(path)")
        }
        #expect(try mode(directory.tls.path) == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.tls.path).sorted() == names.sorted())
    }

    @Test func nodeCertificateCarriesIdentityHostsAndBothUsages() throws {
        let directory = try TLSTestDirectory(mint: false)
        defer { directory.cleanup() }
        try DevelopmentCertificates.mint(directory: directory.tls.path, nodes: [NodeID(7)], hosts: ["127.0.0.1", "::1", "node7.example"])
        let node = try certificate(directory.tls.certificatePath(for: .node(NodeID(7))))
        let names = try #require(try node.extensions.subjectAlternativeNames)
        #expect(Array(names).contains(.uniformResourceIdentifier("iris://node/7")))
        #expect(Array(names).contains(.dnsName("node7.example")))
        #expect(Array(names).contains(.ipAddress(.init(contentBytes: [127, 0, 0, 1]))))
        #expect(Array(names).contains(.ipAddress(.init(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))))
        #expect(try PeerIdentity(certificate: node) == .node(NodeID(7)))
        let usages = try #require(try node.extensions.extendedKeyUsage)
        #expect(usages.contains(.serverAuth) && usages.contains(.clientAuth))
        #expect(try node.extensions.basicConstraints == .notCertificateAuthority)

        let authority = try certificate(directory.tls.certificateAuthorityPath)
        #expect(try authority.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(node.issuer == authority.subject)
        #expect(authority.notValidAfter.timeIntervalSinceNow > 9 * 365 * 86_400)
    }

    @Test func clientCertificateMayOnlyDial() throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let client = try certificate(directory.tls.certificatePath(for: .client))
        #expect(try PeerIdentity(certificate: client) == .client("iris"))
        let usages = try #require(try client.extensions.extendedKeyUsage)
        #expect(Array(usages) == [.clientAuth])
    }

    @Test func refusesToReplaceAnExistingCAUnlessAsked() throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let caPath = directory.tls.certificateAuthorityPath
        let before = try Data(contentsOf: URL(fileURLWithPath: caPath))
        let nodeBefore = try Data(contentsOf: URL(fileURLWithPath: directory.tls.keyPath(for: .node(NodeID(1)))))
        #expect(throws: DevelopmentCertificateError.certificateAuthorityExists(path: caPath)) {
            try DevelopmentCertificates.mint(directory: directory.tls.path, nodes: [NodeID(1)], hosts: [])
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: caPath)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.tls.keyPath(for: .node(NodeID(1))))) == nodeBefore)

        try DevelopmentCertificates.mint(directory: directory.tls.path, nodes: [NodeID(1)], hosts: [], overwrite: true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: caPath)) != before)
        #expect(try directory.tls.load(.node(NodeID(1))).identity == .node(NodeID(1)))
    }

    @Test(arguments: [
        ([UInt64](), ["127.0.0.1"], "iris", DevelopmentCertificateError.noNodes),
        ([1, 2, 1], ["127.0.0.1"], "iris", .duplicateNode(NodeID(1))),
        ([1], ["exa mple"], "iris", .invalidHost("exa mple")),
        ([1], ["-bad.example"], "iris", .invalidHost("-bad.example")),
        ([1], ["256.1.1.1"], "iris", .invalidHost("256.1.1.1")),
        ([1], ["localhost", "a..b"], "iris", .invalidHost("a..b")),
        ([1], ["localhost"], "a/b", .invalidClientName("a/b")),
        ([1], ["localhost"], "", .invalidClientName("")),
    ])
    func refusesBadArgumentsAndWritesNothing(nodes: [UInt64], hosts: [String], clientName: String, error: DevelopmentCertificateError) throws {
        let directory = try TLSTestDirectory(mint: false)
        defer { directory.cleanup() }
        #expect(throws: error) {
            try DevelopmentCertificates.mint(directory: directory.tls.path, nodes: nodes.map { NodeID($0) }, hosts: hosts, clientName: clientName)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.tls.path))
    }

    @Test func missingParentDirectoryIsNamed() throws {
        let directory = try TLSTestDirectory(mint: false)
        defer { directory.cleanup() }
        let path = directory.root + "/absent/tls"
        let error = #expect(throws: DevelopmentCertificateError.self) {
            try DevelopmentCertificates.mint(directory: path, nodes: [NodeID(1)], hosts: [])
        }
        guard case .writeFailed(let named, _) = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(named == path)
    }
}
