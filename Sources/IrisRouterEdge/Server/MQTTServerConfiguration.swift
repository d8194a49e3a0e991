extension MQTTServer {
    /// Where the server listens and the limits it enforces on each connection. Checked once, by `start()`.
    public struct Configuration: Sendable {
        /// The address to listen on; 127.0.0.1 by default.
        public var host: String
        /// The TCP port; 1883 by default, 0 for any free port (`start()` returns the one bound).
        public var port: Int
        /// The largest packet accepted, fixed header included; a larger one closes the connection
        /// as soon as its header shows the size. 1 MiB by default.
        public var maxPacketBytes: Int
        /// A connection that has not sent a complete CONNECT this many seconds after it was
        /// accepted is closed. 10 by default.
        public var connectTimeoutSeconds: Int
        /// A connection's outbox (bytes written but not yet taken by the socket) above this makes
        /// it not writable, and the edge stops reading from it. 256 KiB by default.
        public var outboxHighWaterBytes: Int
        /// Below this the connection is writable again and the delegate hears `writable`. 64 KiB by default.
        public var outboxLowWaterBytes: Int
        /// How long a close that flushes (DISCONNECT, `MQTTConnection.close`, CONNACK 0x01) waits
        /// for the client to take the last bytes before it cuts the connection. 5 by default.
        public var closeFlushSeconds: Int
        /// The tick of each event loop's timing wheel. Deadlines are never early and at most one
        /// tick late. 250 by default.
        public var wheelTickMilliseconds: Int
        /// The listen backlog (connections accepted by the kernel, not yet by the server); the
        /// kernel caps it at `net.core.somaxconn`. 1,024 by default.
        public var listenBacklog: Int
        /// The most connections open at once (`ConnectionCap`); more are closed as soon as they
        /// are accepted. Nil by default: the process's open-file soft limit less
        /// `descriptorReserve`, read by `start()`.
        public var maxConnections: Int?

        /// Descriptors the default `maxConnections` leaves for everything else the process opens.
        public static let descriptorReserve = 256

        /// A configuration with the defaults above for every value not given.
        public init(
            host: String = "127.0.0.1", port: Int = 1883, maxPacketBytes: Int = 1 << 20, connectTimeoutSeconds: Int = 10,
            outboxHighWaterBytes: Int = 256 << 10, outboxLowWaterBytes: Int = 64 << 10, closeFlushSeconds: Int = 5,
            wheelTickMilliseconds: Int = 250, listenBacklog: Int = 1024, maxConnections: Int? = nil
        ) {
            self.host = host
            self.port = port
            self.maxPacketBytes = maxPacketBytes
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.outboxHighWaterBytes = outboxHighWaterBytes
            self.outboxLowWaterBytes = outboxLowWaterBytes
            self.closeFlushSeconds = closeFlushSeconds
            self.wheelTickMilliseconds = wheelTickMilliseconds
            self.listenBacklog = listenBacklog
            self.maxConnections = maxConnections
        }

        /// The largest packet MQTT 3.1.1 can express: 1 type byte, 4 length bytes, 268,435,455 more.
        public static let maxPacketBytesLimit = 268_435_460

        /// `maxConnections`, or the default it stands for: the open-file soft limit less
        /// `descriptorReserve` (at least 1).
        public var connectionLimit: Int {
            maxConnections ?? max(1, DescriptorLimit.current().soft - Self.descriptorReserve)
        }

        /// Checks every value and the relations between them.
        ///
        /// - Throws: `MQTTServerError.invalidConfiguration` naming the value and its valid range.
        public func validate() throws(MQTTServerError) {
            func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(MQTTServerError) {
                if !condition { throw .invalidConfiguration(message()) }
            }
            try check(!host.isEmpty, "host is empty")
            try check((0...65_535).contains(port), "port \(port) is not in 0...65535")
            try check(
                (128...Self.maxPacketBytesLimit).contains(maxPacketBytes),
                "maxPacketBytes \(maxPacketBytes) is not in 128...\(Self.maxPacketBytesLimit)")
            try check((1...3_600).contains(connectTimeoutSeconds), "connectTimeoutSeconds \(connectTimeoutSeconds) is not in 1...3600")
            try check(outboxLowWaterBytes >= 1, "outboxLowWaterBytes \(outboxLowWaterBytes) is below 1")
            try check(
                outboxHighWaterBytes > outboxLowWaterBytes,
                "outboxHighWaterBytes \(outboxHighWaterBytes) is not above outboxLowWaterBytes \(outboxLowWaterBytes)")
            try check((1...3_600).contains(closeFlushSeconds), "closeFlushSeconds \(closeFlushSeconds) is not in 1...3600")
            try check((10...1_000).contains(wheelTickMilliseconds), "wheelTickMilliseconds \(wheelTickMilliseconds) is not in 10...1000")
            try check((1...65_535).contains(listenBacklog), "listenBacklog \(listenBacklog) is not in 1...65535")
            if let maxConnections { try check(maxConnections >= 1, "maxConnections \(maxConnections) is below 1") }
        }
    }
}
