import Foundation
import NIOCore
import NIOPosix
import Testing

/// `irisd` as a process: flags, metrics, refusal of a changed configuration, SIGTERM.
@Suite("irisd processes", .serialized)
struct IrisdProcessTests {
    static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/irisd").path

    /// Starts irisd with `arguments`, its output going to a file.
    static func start(_ arguments: [String], output: String) throws -> Process {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build irisd first (swift build)")
        FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Waits (bounded) for `process` to exit; kills it by PID and fails if it does not.
    /// Sleeps without blocking a thread of the shared pool (other suites' servers run there).
    static func waitForExit(_ process: Process, seconds: Double) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// GET http://127.0.0.1:port/metrics with a bare socket; nil while nothing answers.
    static func metrics(port: Int) -> String? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard write(socket, request, request.count) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(socket, &buffer, buffer.count)
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test("a single node exports its metrics, refuses a changed --partitions, and exits 0 on SIGTERM")
    func metricsRefusalAndShutdown() async throws {
        let data = TestNodes.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let ports = try freePorts(2)
        let cluster = "1=127.0.0.1:\(ports[0])"
        let node = try Self.start(
            ["--data", data, "--id", "1", "--cluster", cluster, "--partitions", "4", "--metrics", "127.0.0.1:\(ports[1])"],
            output: data + ".out")
        defer { if node.isRunning { kill(node.processIdentifier, SIGKILL) } }
        var leaders = false
        var text = ""
        for _ in 0..<200 where !leaders {
            try await Task.sleep(for: .milliseconds(50))
            text = Self.metrics(port: ports[1]) ?? ""
            leaders = text.contains("iris_leaders 4")
        }
        #expect(leaders, "metrics never showed 4 leaders: \(text.prefix(2_000))")
        #expect(text.contains("iris_log_fdatasync_duration"))
        #expect(text.contains("iris_elections_won_total"))
        kill(node.processIdentifier, SIGTERM)
        #expect(try await Self.waitForExit(node, seconds: 20) == 0)
        let log = (try? String(contentsOfFile: data + ".out", encoding: .utf8)) ?? ""
        #expect(log.contains("logs closed"))

        let changed = try Self.start(["--data", data, "--id", "1", "--cluster", cluster, "--partitions", "5"], output: data + ".out2")
        let status = try await Self.waitForExit(changed, seconds: 20)
        #expect(status != nil && status != 0)
        let refusal = (try? String(contentsOfFile: data + ".out2", encoding: .utf8)) ?? ""
        #expect(refusal.contains("--partitions"), "refusal should name the flag: \(refusal)")
    }

    /// Starts a node of one, waits until its metrics show `partitions` leaders, stops it with SIGTERM.
    private func runUntilLeading(_ arguments: [String], partitions: Int, output: String) async throws {
        let ports = try freePorts(2)
        let node = try Self.start(
            arguments + ["--id", "1", "--cluster", "1=127.0.0.1:\(ports[0])", "--mqtt", "none", "--metrics", "127.0.0.1:\(ports[1])"],
            output: output)
        defer { if node.isRunning { kill(node.processIdentifier, SIGKILL) } }
        var text = ""
        func leaders() -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix("iris_leaders ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        for _ in 0..<200 where leaders() != Double(partitions) {
            try await Task.sleep(for: .milliseconds(50))
            text = Self.metrics(port: ports[1]) ?? ""
        }
        #expect(leaders() == Double(partitions), "metrics never showed \(partitions) leaders: \(text.prefix(1_000))")
        kill(node.processIdentifier, SIGTERM)
        #expect(try await Self.waitForExit(node, seconds: 20) == 0)
    }

    @Test("a new single node gets a partition per event loop; a data directory keeps its count when --partitions is left out")
    func partitionDefaults() async throws {
        let fresh = TestNodes.temporaryDirectory()
        let made = TestNodes.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: fresh)
            try? FileManager.default.removeItem(atPath: made)
        }
        let loops = max(1, min(4, System.coreCount))
        try await runUntilLeading(["--data", fresh], partitions: loops, output: fresh + ".out")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fresh + "/partitions").count == loops)

        let created = loops + 3
        try await runUntilLeading(["--data", made, "--partitions", "\(created)"], partitions: created, output: made + ".out")
        try await runUntilLeading(["--data", made], partitions: created, output: made + ".out2")
        #expect(try FileManager.default.contentsOfDirectory(atPath: made + "/partitions").count == created)
    }
}
