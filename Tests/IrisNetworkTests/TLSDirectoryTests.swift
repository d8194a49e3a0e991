import Foundation
import IrisReplication
import IrisTransport
import Testing
import X509

/// Loading a TLS directory (SPEC.md §13.1): each fault is a typed error naming the file.
@Suite struct TLSDirectoryTests {
    @Test(arguments: ["ca.pem", "node-2.pem", "node-2.key"])
    func missingFileIsNamed(file: String) throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let path = directory.tls.path + "/" + file
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: TLSDirectoryError.missingFile(path: path)) { try IrisTLS.serverContext(directory: directory.tls, nodeID: NodeID(2)) }
        #expect(throws: TLSDirectoryError.missingFile(path: path)) {
            try IrisTLS.clientContext(directory: directory.tls, role: .node(NodeID(2)))
        }
    }

    @Test func missingClientKeyIsNamed() throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let path = directory.tls.keyPath(for: .client)
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: TLSDirectoryError.missingFile(path: path)) { try IrisTLS.clientContext(directory: directory.tls, role: .client) }
    }

    @Test func nodeCertificateMustCarryTheConfiguredNodeID() throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let tls = directory.tls
        try directory.copy(tls.certificatePath(for: .node(NodeID(2))), to: tls.certificatePath(for: .node(NodeID(3))))
        try directory.copy(tls.keyPath(for: .node(NodeID(2))), to: tls.keyPath(for: .node(NodeID(3))))
        #expect(throws: TLSDirectoryError.wrongIdentity(path: tls.certificatePath(for: .node(NodeID(3))), role: .node(NodeID(3)), presented: .node(NodeID(2)))) {
            try IrisTLS.serverContext(directory: tls, nodeID: NodeID(3))
        }
    }

    @Test func clientRoleRefusesANodeCertificate() throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let tls = directory.tls
        try directory.copy(tls.certificatePath(for: .node(NodeID(1))), to: tls.certificatePath(for: .client))
        try directory.copy(tls.keyPath(for: .node(NodeID(1))), to: tls.keyPath(for: .client))
        #expect(throws: TLSDirectoryError.wrongIdentity(path: tls.certificatePath(for: .client), role: .client, presented: .node(NodeID(1)))) {
            try tls.load(.client)
        }
    }

    @Test func keyOfAnotherCertificateIsRefused() throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let tls = directory.tls
        try directory.copy(tls.keyPath(for: .node(NodeID(1))), to: tls.keyPath(for: .node(NodeID(2))))
        #expect(
            throws: TLSDirectoryError.keyMismatch(
                certificatePath: tls.certificatePath(for: .node(NodeID(2))), keyPath: tls.keyPath(for: .node(NodeID(2))))
        ) { try tls.load(.node(NodeID(2))) }
    }

    @Test(arguments: ["ca.pem", "node-2.pem", "node-2.key"])
    func damagedFileIsNamed(file: String) throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let path = directory.tls.path + "/" + file
        try Data("not PEM at all\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: TLSDirectoryError.self) { try directory.tls.load(.node(NodeID(2))) }
        switch error {
        case .badCertificate(let named, _), .badPrivateKey(let named, _): #expect(named == path)
        default: Issue.record("expected a bad file error naming \(path), got \(String(describing: error))")
        }
    }

    @Test func loadReadsTheRolesIdentity() throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        #expect(try directory.tls.load(.node(NodeID(3))).identity == .node(NodeID(3)))
        #expect(try directory.tls.load(.client).identity == .client("iris"))
        #expect(try directory.tls.load(.client).certificateAuthorities.count == 1)
    }
}
