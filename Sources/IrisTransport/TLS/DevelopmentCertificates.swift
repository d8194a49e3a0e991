import Crypto
import Foundation
import IrisReplication
import X509

/// Mints a complete TLS directory (SPEC.md §13.1) for development and tests: a fresh P-256 CA,
/// one certificate per node and one client certificate, all signed by that CA. The CA's private
/// key is not kept: it would let whoever holds the directory mint any identity. Adding a node
/// therefore means minting a new directory for the whole cluster. Production clusters use their
/// own CA and lay out the same files.
public enum DevelopmentCertificates {
    /// The client name used when none is given: `iris://client/iris`.
    public static let clientNameDefault = "iris"
    /// The validity used when none is given: about ten years.
    public static let validityDaysDefault = 3650
    /// The longest validity accepted.
    public static let validityDaysMax = 36500
    /// The most nodes one directory is minted for.
    public static let nodesMax = 1024

    /// Writes `ca.pem`, `node-N.pem` + `node-N.key` for each of `nodes`, and `client.pem` +
    /// `client.key` into `directory` (created, mode 0700, if missing; its parent must exist).
    /// Keys are PKCS#8 PEM files with mode 0600. Node certificates carry `iris://node/N` and each
    /// of `hosts` as a DNS or IP subject alternative name and may serve and dial; the client
    /// certificate carries `iris://client/<clientName>` and may only dial. Every file is
    /// replaced atomically; `ca.pem` is written last, so a directory with a `ca.pem` is complete.
    /// - Parameters:
    ///   - overwrite: replace an existing `ca.pem` (and with it every certificate).
    /// - Returns: the paths written, in order.
    /// - Throws: `DevelopmentCertificateError`: bad arguments (nothing written), an existing CA
    ///   without `overwrite` (nothing written), or a failed write (files before it written).
    @discardableResult
    public static func mint(
        directory: String, nodes: [NodeID], hosts: [String], clientName: String = clientNameDefault,
        validityDays: Int = validityDaysDefault, overwrite: Bool = false
    ) throws(DevelopmentCertificateError) -> [String] {
        try validate(nodes: nodes, clientName: clientName, validityDays: validityDays)
        let hostNames = try hosts.map { host throws(DevelopmentCertificateError) in try alternativeName(forHost: host) }
        let layout = TLSDirectory(path: directory)
        if !overwrite, TLSFiles.exists(layout.certificateAuthorityPath) {
            throw .certificateAuthorityExists(path: layout.certificateAuthorityPath)
        }
        let now = Date()
        let validity = DevelopmentCertificateAuthority.Validity(
            notBefore: now.addingTimeInterval(-clockSkewSeconds), notAfter: now.addingTimeInterval(Double(validityDays) * 86_400))
        let authority = try DevelopmentCertificateAuthority(validity: validity)
        var files: [(path: String, contents: String, isKey: Bool)] = []
        for node in nodes {
            let identity = PeerIdentity.node(node)
            let issued = try authority.issue(to: identity, hosts: hostNames, usages: [.serverAuth, .clientAuth], validity: validity)
            files.append((layout.certificatePath(for: .node(node)), issued.certificatePEM, false))
            files.append((layout.keyPath(for: .node(node)), issued.keyPEM, true))
        }
        let client = try authority.issue(to: .client(clientName), hosts: [], usages: [.clientAuth], validity: validity)
        files.append((layout.certificatePath(for: .client), client.certificatePEM, false))
        files.append((layout.keyPath(for: .client), client.keyPEM, true))
        files.append((layout.certificateAuthorityPath, try authority.certificatePEM(), false))
        try write(files, directory: directory)
        return files.map(\.path)
    }

    /// Certificates start a little in the past so that a peer whose clock is slightly behind
    /// accepts them at once.
    static let clockSkewSeconds: Double = 300

    /// Checks the arguments that need no parsing.
    private static func validate(nodes: [NodeID], clientName: String, validityDays: Int) throws(DevelopmentCertificateError) {
        guard !nodes.isEmpty else { throw .noNodes }
        guard nodes.count <= nodesMax else { throw .tooManyNodes(count: nodes.count, max: nodesMax) }
        var seen = Set<NodeID>()
        for node in nodes where !seen.insert(node).inserted { throw .duplicateNode(node) }
        guard PeerIdentity.isValidClientName(clientName) else { throw .invalidClientName(clientName) }
        guard (1...validityDaysMax).contains(validityDays) else { throw .invalidValidity(days: validityDays) }
    }

    /// Creates the directory and writes each file atomically, keys with mode 0600.
    private static func write(_ files: [(path: String, contents: String, isKey: Bool)], directory: String)
        throws(DevelopmentCertificateError)
    {
        do {
            try TLSFiles.createDirectory(directory)
        } catch {
            throw .writeFailed(path: directory, detail: error.description)
        }
        for file in files {
            do {
                try TLSFiles.writeAtomically(file.path, Array(file.contents.utf8), mode: file.isKey ? 0o600 : 0o644, directory: directory)
            } catch {
                throw .writeFailed(path: file.path, detail: error.description)
            }
        }
    }
}
