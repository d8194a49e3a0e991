/// Why a TLS directory cannot be used (SPEC.md §13.1). Each description names the file and says
/// what to do; a node that gets one at start refuses to start.
public enum TLSDirectoryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A file the role needs is not there.
    case missingFile(path: String)
    /// A file is there but cannot be read (permissions, I/O error).
    case unreadableFile(path: String, detail: String)
    /// A file is larger than any certificate or key file (`bytesMax`), so it is not one.
    case fileTooLarge(path: String, bytesMax: Int)
    /// A certificate file holds no PEM certificate, or one that cannot be decoded.
    case badCertificate(path: String, detail: String)
    /// A key file holds no PEM private key, or one that cannot be decoded.
    case badPrivateKey(path: String, detail: String)
    /// The key file's key does not belong to the certificate beside it.
    case keyMismatch(certificatePath: String, keyPath: String)
    /// The certificate carries no usable `iris://` identity.
    case noIdentity(path: String, reason: TLSIdentityError)
    /// The certificate names another identity than the role needs (`node-3.pem` saying node 2).
    case wrongIdentity(path: String, role: TLSRole, presented: PeerIdentity)
    /// The certificate is not valid now (expired, or not yet valid: check the clock).
    case outsideValidity(path: String, notValidBefore: String, notValidAfter: String)
    /// NIOSSL refused the configuration built from the directory.
    case contextFailed(detail: String)

    /// What is wrong and what to do next.
    public var description: String {
        switch self {
        case .missingFile(let path):
            "TLS file \(path) does not exist; create the TLS directory with `irisd certs DIR --nodes 1,2,3` or copy the file from the cluster's TLS directory"
        case .unreadableFile(let path, let detail):
            "TLS file \(path) cannot be read (\(detail)); check its owner and mode"
        case .fileTooLarge(let path, let bytesMax):
            "TLS file \(path) is larger than \(bytesMax) bytes, so it is not a certificate or key; replace it"
        case .badCertificate(let path, let detail):
            "TLS file \(path) is not a PEM certificate (\(detail)); replace it, e.g. with `irisd certs`"
        case .badPrivateKey(let path, let detail):
            "TLS file \(path) is not a PEM private key (\(detail)); replace it, e.g. with `irisd certs`"
        case .keyMismatch(let certificatePath, let keyPath):
            "TLS key \(keyPath) does not belong to certificate \(certificatePath); copy both from the same `irisd certs` run"
        case .noIdentity(let path, let reason):
            "TLS certificate \(path) has no usable identity: \(reason)"
        case .wrongIdentity(let path, let role, let presented):
            "TLS certificate \(path) is for \(presented), not \(role); copy the right file or check --id"
        case .outsideValidity(let path, let notValidBefore, let notValidAfter):
            "TLS certificate \(path) is valid only from \(notValidBefore) to \(notValidAfter); reissue it (or fix the clock)"
        case .contextFailed(let detail):
            "TLS configuration refused by NIOSSL (\(detail)); check the TLS directory's files"
        }
    }
}
