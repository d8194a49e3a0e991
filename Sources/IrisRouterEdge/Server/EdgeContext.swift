import IrisMQTT
import Logging
import Synchronization

/// What every connection of one server shares, so a connection holds one reference instead of
/// copies of each: the configuration, the delegate, the decoder and the connected count.
final class EdgeContext: Sendable {
    let configuration: MQTTServer.Configuration
    let delegate: any MQTTConnectionDelegate
    let logger: Logger
    let decoder: MQTTDecoder
    let counters: EdgeCounters

    init(configuration: MQTTServer.Configuration, delegate: any MQTTConnectionDelegate, logger: Logger, counters: EdgeCounters) {
        self.configuration = configuration
        self.delegate = delegate
        self.logger = logger
        self.decoder = MQTTDecoder(maxPacketBytes: configuration.maxPacketBytes)
        self.counters = counters
    }
}

/// A server's counters, updated from every event loop.
final class EdgeCounters: Sendable {
    /// Connections past CONNECT whose `closed` has not been reported yet.
    let connected = Atomic<Int>(0)
    /// Connections accepted and not yet closed, past CONNECT or not.
    let open = Atomic<Int>(0)
}
