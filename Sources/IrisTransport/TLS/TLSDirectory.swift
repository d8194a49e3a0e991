import Foundation
import IrisReplication
import NIOSSL
import X509

/// A cluster's TLS directory (SPEC.md §13.1), given to `irisd --tls-dir DIR`, `iris-log` and
/// IrisClient:
///
/// | file | what |
/// |---|---|
/// | `ca.pem` | the cluster CA certificate(s), the only trust roots |
/// | `node-N.pem`, `node-N.key` | node N's certificate (SAN `iris://node/N`) and private key |
/// | `client.pem`, `client.key` | the clients' certificate (SAN `iris://client/NAME`) and key |
///
/// A process reads only the files of its own role (`load(_:)`), so a node's copy of the directory
/// needs just `ca.pem` and its own pair.
public struct TLSDirectory: Hashable, Sendable {
    /// The directory's path.
    public var path: String

    /// The directory at `path`; nothing is read until `load(_:)`.
    public init(path: String) { self.path = path }

    /// The cluster CA file's name.
    public static let certificateAuthorityFileName = "ca.pem"

    /// The path of `ca.pem`.
    public var certificateAuthorityPath: String { file(Self.certificateAuthorityFileName) }

    /// The path of the certificate a role presents: `node-N.pem` or `client.pem`.
    public func certificatePath(for role: TLSRole) -> String { file("\(Self.baseName(role)).pem") }

    /// The path of the private key a role presents: `node-N.key` or `client.key`.
    public func keyPath(for role: TLSRole) -> String { file("\(Self.baseName(role)).key") }

    /// Loads and checks what `role` needs: `ca.pem`, and the role's certificate and key, which
    /// must match each other, be valid now, and carry the role's identity (node N's certificate
    /// must say `iris://node/N`).
    /// - Throws: `TLSDirectoryError` naming the first file that is missing or wrong.
    public func load(_ role: TLSRole) throws(TLSDirectoryError) -> TLSCredentials {
        let authorities = try Self.certificates(at: certificateAuthorityPath)
        let certificatePath = certificatePath(for: role)
        let keyPath = keyPath(for: role)
        let chain = try Self.certificates(at: certificatePath)
        let leaf = try Self.decode(chain[0], path: certificatePath)
        let identity = try Self.identity(of: leaf, path: certificatePath, role: role)
        try Self.checkValidity(of: leaf, path: certificatePath)
        let keyBytes = try Self.read(keyPath)
        let key = try Self.privateKey(keyBytes, path: keyPath)
        try Self.checkKey(keyBytes, matches: leaf, certificatePath: certificatePath, keyPath: keyPath)
        return TLSCredentials(certificateAuthorities: authorities, certificateChain: chain, privateKey: key, identity: identity)
    }

    /// `name` inside the directory.
    func file(_ name: String) -> String { path.hasSuffix("/") ? path + name : path + "/" + name }

    /// `node-N` or `client`.
    static func baseName(_ role: TLSRole) -> String {
        switch role {
        case .node(let node): "node-\(node.rawValue)"
        case .client: "client"
        }
    }

    /// The file's bytes, with each failure named.
    private static func read(_ path: String) throws(TLSDirectoryError) -> [UInt8] {
        let result: TLSFiles.ReadResult
        do {
            result = try TLSFiles.read(path)
        } catch {
            if error.errno == ENOENT { throw .missingFile(path: path) }
            throw .unreadableFile(path: path, detail: error.description)
        }
        switch result {
        case .contents(let bytes): return bytes
        case .tooLarge: throw .fileTooLarge(path: path, bytesMax: TLSFiles.fileBytesMax)
        }
    }

    /// Every PEM certificate in the file, at least one.
    private static func certificates(at path: String) throws(TLSDirectoryError) -> [NIOSSLCertificate] {
        let bytes = try read(path)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw .badCertificate(path: path, detail: "\(error)")
        }
        guard !certificates.isEmpty else { throw .badCertificate(path: path, detail: "no BEGIN CERTIFICATE block") }
        return certificates
    }

    /// The certificate as swift-certificates reads it, to look at its extensions and dates.
    private static func decode(_ certificate: NIOSSLCertificate, path: String) throws(TLSDirectoryError) -> Certificate {
        do {
            return try Certificate(derEncoded: certificate.toDERBytes())
        } catch {
            throw .badCertificate(path: path, detail: "\(error)")
        }
    }

    /// The certificate's identity, which must be the role's.
    private static func identity(of certificate: Certificate, path: String, role: TLSRole) throws(TLSDirectoryError) -> PeerIdentity {
        let identity: PeerIdentity
        do {
            identity = try PeerIdentity(certificate: certificate)
        } catch {
            throw .noIdentity(path: path, reason: error)
        }
        guard role.accepts(identity) else { throw .wrongIdentity(path: path, role: role, presented: identity) }
        return identity
    }

    /// Refuses a certificate that peers would refuse anyway, with a message that says why.
    private static func checkValidity(of certificate: Certificate, path: String) throws(TLSDirectoryError) {
        let now = Date()
        guard certificate.notValidBefore <= now, now <= certificate.notValidAfter else {
            throw .outsideValidity(
                path: path, notValidBefore: "\(certificate.notValidBefore)", notValidAfter: "\(certificate.notValidAfter)")
        }
    }

    /// The key as NIOSSL loads it (PEM: PKCS#8, SEC1 or RSA).
    private static func privateKey(_ bytes: [UInt8], path: String) throws(TLSDirectoryError) -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem)
        } catch {
            throw .badPrivateKey(path: path, detail: "\(error)")
        }
    }

    /// Checks that the key's public half is the certificate's public key.
    private static func checkKey(_ bytes: [UInt8], matches certificate: Certificate, certificatePath: String, keyPath: String)
        throws(TLSDirectoryError)
    {
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw .badPrivateKey(path: keyPath, detail: "\(error)")
        }
        guard key.publicKey == certificate.publicKey else { throw .keyMismatch(certificatePath: certificatePath, keyPath: keyPath) }
    }
}
