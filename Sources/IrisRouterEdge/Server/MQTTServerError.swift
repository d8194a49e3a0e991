/// Why an `MQTTServer` did not start.
public enum MQTTServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration value is out of range; the message names it and the valid range.
    case invalidConfiguration(String)
    /// The listener could not bind (address in use, not local, permission).
    case bind(host: String, port: Int, reason: String)
    /// `start()` was called before on this server; a stopped server does not start again.
    case alreadyStarted

    /// One line saying what to change.
    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return "invalid MQTT server configuration: \(message)"
        case .bind(let host, let port, let reason):
            return "cannot listen for MQTT on \(host):\(port): \(reason); choose another address with --mqtt HOST:PORT or stop what uses it"
        case .alreadyStarted:
            return "this MQTT server was already started; make a new MQTTServer to serve again"
        }
    }
}
