import IrisMQTT
@testable import IrisRouterEdge
import NIOPosix
import Testing

/// `MQTTServer.Configuration.validate()` and `start()`'s errors.
@Suite struct ConfigurationTests {
    @Test("defaults: 127.0.0.1:1883, 1 MiB packets, 10 s connect timeout, 256/64 KiB outbox marks; they validate")
    func defaults() throws {
        let configuration = MQTTServer.Configuration()
        #expect(configuration.host == "127.0.0.1" && configuration.port == 1883)
        #expect(configuration.maxPacketBytes == 1 << 20 && configuration.connectTimeoutSeconds == 10)
        #expect(configuration.outboxHighWaterBytes == 256 << 10 && configuration.outboxLowWaterBytes == 64 << 10)
        try configuration.validate()
    }

    @Test("each out-of-range value is refused by start(), naming it")
    func invalidValues() async throws {
        let changes: [(name: String, change: (inout MQTTServer.Configuration) -> Void)] = [
            ("port", { $0.port = 70_000 }),
            ("maxPacketBytes", { $0.maxPacketBytes = 64 }),
            ("maxPacketBytes", { $0.maxPacketBytes = 268_435_461 }),
            ("connectTimeoutSeconds", { $0.connectTimeoutSeconds = 0 }),
            ("outboxHighWaterBytes", { $0.outboxLowWaterBytes = 256 << 10 }),
            ("outboxLowWaterBytes", { $0.outboxLowWaterBytes = 0 }),
            ("closeFlushSeconds", { $0.closeFlushSeconds = 0 }),
            ("wheelTickMilliseconds", { $0.wheelTickMilliseconds = 5_000 }),
            ("listenBacklog", { $0.listenBacklog = 0 }),
        ]
        for (name, change) in changes {
            var configuration = MQTTServer.Configuration(port: 0)
            change(&configuration)
            let server = MQTTServer(
                configuration: configuration, delegate: RecordingRouterDouble(), group: MultiThreadedEventLoopGroup.singleton,
                logger: LogRecorder().logger)
            do throws(MQTTServerError) {
                _ = try await server.start()
                Issue.record("started with an invalid \(name)")
                await server.stop()
            } catch {
                guard case .invalidConfiguration(let message) = error else {
                    Issue.record("\(name): \(error)")
                    continue
                }
                #expect(message.hasPrefix(name), "\(message)")
            }
        }
    }

    @Test("a port in use is a bind error naming the address; a server starts once only")
    func portInUse() async throws {
        try await EdgeHarness.run { edge in
            let second = MQTTServer(
                configuration: .init(port: edge.port), delegate: RecordingRouterDouble(), group: edge.group, logger: LogRecorder().logger)
            do throws(MQTTServerError) {
                _ = try await second.start()
                Issue.record("a second server bound port \(edge.port)")
            } catch {
                guard case .bind(let host, let port, _) = error else {
                    Issue.record("\(error)")
                    return
                }
                #expect(host == "127.0.0.1" && port == edge.port)
                #expect(error.description.contains("127.0.0.1:\(edge.port)"))
            }
            await #expect(throws: MQTTServerError.alreadyStarted) { _ = try await second.start() }
        }
    }
}
