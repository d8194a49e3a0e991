import NIOCore

/// A node's client address, "host:port" ("[v6]:port" for IPv6).
struct Endpoint: Hashable, Sendable {
    let host: String
    let port: Int

    init(parsing text: String) throws(IrisClientError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else {
            throw .invalidEndpoint(text)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw .invalidEndpoint(text) }
        self.host = host
        self.port = port
    }

    /// The name TLS checks the certificate against: nil for an IP address.
    var serverHostname: String? {
        (try? SocketAddress(ipAddress: host, port: port)) == nil ? host : nil
    }
}

extension Duration {
    /// The duration as NIO's `TimeAmount`.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
