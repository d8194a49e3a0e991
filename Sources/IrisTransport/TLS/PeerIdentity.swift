import IrisReplication

/// Who is at the other end of a mutual-TLS connection, as its certificate says (SPEC.md §13.2):
/// a node of the cluster or a named client. The certificate carries it as a URI subject
/// alternative name, `iris://node/N` or `iris://client/NAME`.
public enum PeerIdentity: Hashable, Sendable, CustomStringConvertible {
    /// Node `N` of the cluster (`iris://node/N`).
    case node(NodeID)
    /// A client such as `iris-log` or an IrisClient program (`iris://client/NAME`).
    case client(String)

    /// The scheme and authority every Iris identity URI starts with.
    public static let uriPrefix = "iris://"
    /// The longest client name: 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
    public static let clientNameBytesMax = 64

    /// The URI that carries this identity in a certificate: `iris://node/3`, `iris://client/iris`.
    public var uri: String {
        switch self {
        case .node(let node): "\(Self.uriPrefix)node/\(node.rawValue)"
        case .client(let name): "\(Self.uriPrefix)client/\(name)"
        }
    }

    /// "node 3" or "client iris", for messages.
    public var description: String {
        switch self {
        case .node(let node): "node \(node.rawValue)"
        case .client(let name): "client \(name)"
        }
    }

    /// Reads an identity URI back. Exactly one spelling is accepted per identity, so two
    /// certificates can never name the same peer differently: a node number in decimal without
    /// leading zeros that fits in 64 bits, a client name as `isValidClientName` says. Returns
    /// `nil` for anything else.
    public init?(uri: String) {
        let bytes = Array(uri.utf8)
        let prefix = Array(Self.uriPrefix.utf8)
        guard bytes.starts(with: prefix) else { return nil }
        let rest = bytes.dropFirst(prefix.count)
        if let number = Self.dropPrefix("node/", from: rest) {
            guard let node = Self.decimal(number) else { return nil }
            self = .node(NodeID(node))
        } else if let name = Self.dropPrefix("client/", from: rest) {
            let text = String(decoding: name, as: UTF8.self)
            guard Self.isValidClientName(text) else { return nil }
            self = .client(text)
        } else {
            return nil
        }
    }

    /// Whether `name` may name a client: 1 to `clientNameBytesMax` characters, each a letter, a
    /// digit, `.`, `_` or `-`.
    public static func isValidClientName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= clientNameBytesMax else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// `bytes` after `prefix`, or `nil` when they do not start with it.
    private static func dropPrefix(_ prefix: String, from bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let prefixBytes = Array(prefix.utf8)
        return bytes.starts(with: prefixBytes) ? bytes.dropFirst(prefixBytes.count) : nil
    }

    /// A decimal number with no sign and no leading zero (except "0" itself) that fits in
    /// 64 bits, or `nil`.
    private static func decimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard let first = digits.first, digits.count <= 20 else { return nil }
        guard first != UInt8(ascii: "0") || digits.count == 1 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}
