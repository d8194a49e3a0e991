/// A node's address: the host it binds and dials from, and its TCP port (ARCHITECTURE §6:
/// `--cluster 1=HOST:PORT,...`).
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int

    /// The endpoint `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` (the port after the last colon, 1-65535); nil when malformed.
    public init?(parsing text: Substring) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65_535).contains(port), colon > text.startIndex
        else { return nil }
        self.init(host: String(text[..<colon]), port: port)
    }

    /// `host:port`.
    public var description: String { "\(host):\(port)" }
}
