#if canImport(Glibc)
import Glibc
#endif
import X509

extension DevelopmentCertificates {
    /// The longest DNS name (RFC 1035).
    static let dnsNameBytesMax = 253

    /// The subject alternative name for a host a node is reached at: an IP SAN for an IPv4 or
    /// IPv6 address, a DNS SAN for a host name (labels of 1 to 63 letters, digits and hyphens,
    /// not starting or ending with a hyphen, the last not all digits).
    /// - Throws: `.invalidHost` for anything else.
    static func alternativeName(forHost host: String) throws(DevelopmentCertificateError) -> GeneralName {
        if let address = ipAddressBytes(host) { return .ipAddress(.init(contentBytes: address[...])) }
        guard isDNSName(host) else { throw .invalidHost(host) }
        return .dnsName(host)
    }

    /// The address's bytes in network order (4 for IPv4, 16 for IPv6), or `nil` if `host` is not
    /// an address in the usual text form.
    static func ipAddressBytes(_ host: String) -> [UInt8]? {
        var version4 = [UInt8](repeating: 0, count: 4)
        if version4.withUnsafeMutableBytes({ inet_pton(AF_INET, host, $0.baseAddress) }) == 1 { return version4 }
        var version6 = [UInt8](repeating: 0, count: 16)
        if version6.withUnsafeMutableBytes({ inet_pton(AF_INET6, host, $0.baseAddress) }) == 1 { return version6 }
        return nil
    }

    /// Whether `host` is a syntactically valid DNS name.
    static func isDNSName(_ host: String) -> Bool {
        let bytes = Array(host.utf8)
        guard !bytes.isEmpty, bytes.count <= dnsNameBytesMax else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        // An all-digit last label is a mistyped address ("256.1.1.1"), never a name (RFC 3696 §2).
        guard let last = labels.last, !last.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return false }
        return labels.allSatisfy { label in
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return false }
            return label.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            }
        }
    }
}
