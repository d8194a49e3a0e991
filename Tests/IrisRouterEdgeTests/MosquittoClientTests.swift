import Foundation
import IrisMQTT
@testable import IrisRouterEdge
import Testing

/// A real client: Debian's mosquitto_pub 2.0 (MQTT 3.1.1 by default) against the edge and the router double.
@Suite struct MosquittoClientTests {
    static let binary = "/usr/bin/mosquitto_pub"

    @Test("mosquitto_pub -q 1 connects, publishes, gets its PUBACK, disconnects: the router sees exactly that",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary), "mosquitto-clients is not installed"))
    func mosquittoPublishQoS1() async throws {
        try await EdgeHarness.run { edge in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["-h", "127.0.0.1", "-p", "\(edge.port)", "-q", "1", "-t", "a", "-m", "x", "-i", "edge-test"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Waits without blocking a thread of the shared pool; kills by PID after 10 s.
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                Issue.record("mosquitto_pub did not finish within 10 s")
            }
            #expect(process.terminationStatus == 0)
            let events = try await edge.waitForAllClosed()
            guard events.count == 3, case .connected(let id, let connect) = events[0], case .received(_, .publish(let publish)) = events[1] else {
                Issue.record("\(events)")
                return
            }
            #expect(connect.clientID == "edge-test" && connect.protocolLevel == 4)
            #expect(publish.topic.value == "a" && publish.payload == Array("x".utf8) && publish.qos == .atLeastOnce)
            #expect(events[2] == .closed(id, graceful: true, reason: "client sent DISCONNECT"))
        }
    }
}
