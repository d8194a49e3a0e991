@testable import IrisRouterEdge
import NIOCore
import NIOPosix
import Testing

/// A server on 127.0.0.1 and an ephemeral port, with the router double and a log recorder; torn
/// down (server stopped, event loops shut down) when the body returns or throws.
///
/// The connect timeout is an hour unless a test sets its own: under a loaded CI run a test's task
/// can wait many seconds between opening a connection and sending on it, and the default 10 s
/// would close the connection under it (seen once as "I/O on closed channel").
struct EdgeHarness {
    let server: MQTTServer
    let router: RecordingRouterDouble
    let logs: LogRecorder
    let group: MultiThreadedEventLoopGroup
    let port: Int

    static func run(
        threads: Int = 2, _ configure: (inout MQTTServer.Configuration) -> Void = { _ in },
        _ body: (EdgeHarness) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var configuration = MQTTServer.Configuration(port: 0, connectTimeoutSeconds: 3_600)
        configure(&configuration)
        let router = RecordingRouterDouble()
        let logs = LogRecorder()
        let server = MQTTServer(configuration: configuration, delegate: router, group: group, logger: logs.logger)
        do {
            let port = try await server.start()
            try await body(EdgeHarness(server: server, router: router, logs: logs, group: group, port: port))
        } catch {
            await server.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        await server.stop()
        try await group.shutdownGracefully()
    }

    func client(autoRead: Bool = true, receiveBufferBytes: Int? = nil) async throws -> RawMQTTClient {
        try await RawMQTTClient.connect(port: port, group: group, autoRead: autoRead, receiveBufferBytes: receiveBufferBytes)
    }

    /// A client past CONNECT and its CONNACK.
    func connectedClient(keepAlive: UInt16 = 60, clientID: String = "t") async throws -> RawMQTTClient {
        let client = try await client()
        try await client.send(HandMade.connect(keepAlive: keepAlive, clientID: clientID))
        try await waitUntil(seconds: 5) { client.received.count >= 4 }
        try #require(client.received == HandMade.connackAccepted, "no CONNACK: \(client.received)")
        return client
    }

    /// The connection the router saw for the `index`th CONNECT.
    func connection(_ index: Int = 0) async throws -> any MQTTConnection {
        try await waitUntil(seconds: 5) { router.connections.count > index }
        return try #require(router.connections.dropFirst(index).first)
    }

    /// Waits for `closed` of every connection the router saw and returns the events.
    func waitForAllClosed(within seconds: Double = 5) async throws -> [RecordingRouterDouble.Event] {
        try await waitUntil(seconds: seconds) { router.closes.count == router.connections.count }
        return router.events
    }
}
