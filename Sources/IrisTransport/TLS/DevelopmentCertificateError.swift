import IrisReplication

/// Why `DevelopmentCertificates.mint` (`irisd certs`) wrote nothing, or stopped part way.
public enum DevelopmentCertificateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The directory already has a CA and overwriting was not asked for.
    case certificateAuthorityExists(path: String)
    /// No node was given.
    case noNodes
    /// More nodes than `DevelopmentCertificates.nodesMax`.
    case tooManyNodes(count: Int, max: Int)
    /// A node was given twice.
    case duplicateNode(NodeID)
    /// A host is neither an IP address nor a DNS name.
    case invalidHost(String)
    /// The client name has characters outside `A-Z a-z 0-9 . _ -` or a bad length.
    case invalidClientName(String)
    /// The validity is not between 1 and `DevelopmentCertificates.validityDaysMax` days.
    case invalidValidity(days: Int)
    /// swift-certificates could not build or serialise a certificate.
    case certificateFailed(detail: String)
    /// Creating the directory or writing a file failed.
    case writeFailed(path: String, detail: String)

    /// What is wrong and what to do next.
    public var description: String {
        switch self {
        case .certificateAuthorityExists(let path):
            "\(path) exists: this directory already has a cluster CA; pass --force to replace it and every certificate (all nodes then need the new files)"
        case .noNodes:
            "no nodes given; pass --nodes 1,2,3"
        case .tooManyNodes(let count, let max):
            "\(count) nodes given; at most \(max)"
        case .duplicateNode(let node):
            "node \(node.rawValue) is given twice in --nodes"
        case .invalidHost(let host):
            "host \"\(host)\" is neither an IPv4/IPv6 address nor a DNS name; fix --hosts"
        case .invalidClientName(let name):
            "client name \"\(name)\" must be 1 to \(PeerIdentity.clientNameBytesMax) characters from A-Z a-z 0-9 . _ -"
        case .invalidValidity(let days):
            "validity of \(days) days is outside 1...\(DevelopmentCertificates.validityDaysMax)"
        case .certificateFailed(let detail):
            "cannot build a certificate: \(detail)"
        case .writeFailed(let path, let detail):
            "cannot write \(path) (\(detail)); check the directory's permissions and free space"
        }
    }
}
