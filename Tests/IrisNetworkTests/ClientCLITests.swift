import Foundation
import IrisClientProtocol
import IrisLog
import Testing

/// `iris-log ... --cluster` (ARCHITECTURE §6) against a fake cluster served on 127.0.0.1.
@Suite(.serialized) struct ClientCLITests {
    struct Run {
        var code: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/iris-log").path

    /// Runs iris-log with `stdin`; a run still going after 60 s is terminated (by its PID) and fails the test.
    /// Waits without blocking a thread of the shared pool: the fake cluster it talks to runs there.
    static func run(_ arguments: [String], stdin: String = "") async throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build iris-log first (swift build)")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("iris-client-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let paths = ["in", "out", "err"].map { scratch.appendingPathComponent($0).path }
        FileManager.default.createFile(atPath: paths[0], contents: Data(stdin.utf8))
        FileManager.default.createFile(atPath: paths[1], contents: nil)
        FileManager.default.createFile(atPath: paths[2], contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: paths[0]))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: paths[1]))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: paths[2]))
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("iris-log \(arguments) did not finish within 60 s")
        }
        let output = try String(contentsOfFile: paths[1], encoding: .utf8)
        let errors = try String(contentsOfFile: paths[2], encoding: .utf8)
        return Run(code: process.terminationStatus, stdout: output, stderr: errors)
    }

    @Test("append, dump, tail and info --cluster: offsets once committed, dump's formats, system records skipped")
    func clusterCommands() async throws {
        let (cluster, servers) = try await ClientIntegrationTests.cluster(nodes: ["a", "b"], leader: "b")
        // A system record first, as a new leader's term-start marker would be.
        _ = await cluster.append(AppendRequest(partition: 0, producerID: 0, sequence: 0, records: [
            Record(value: [2, 0, 0, 0, 0, 0, 0, 0], headers: [RecordHeader(name: "iris.term-start", value: [])]),
        ]), at: "b")
        let endpoints = servers.map(\.address).joined(separator: ",")
        let append = try await Self.run(["append", "--cluster", servers[0].address], stdin: "alpha\nbeta\ngamma")
        #expect(append.code == 0, "\(append.stderr)")
        #expect(append.lines == ["1", "2", "3"])
        #expect(ClientIntegrationTests.values(await cluster.logs[0]!).dropFirst() == ["alpha", "beta", "gamma"])

        let dump = try await Self.run(["dump", "--cluster", endpoints, "--json"])
        #expect(dump.code == 0, "\(dump.stderr)")
        let objects = dump.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.compactMap { $0["offset"] as? Int } == [1, 2, 3])
        #expect(objects.compactMap { $0["value"] as? String } == ["alpha", "beta", "gamma"])
        let plain = try await Self.run(["dump", "--cluster", endpoints, "--from", "2", "--count", "1"])
        #expect(plain.lines.count == 1)
        #expect(plain.lines.first?.hasPrefix("       2  1970-01-01T00:00:00.001") == true, "\(plain.stdout)")
        #expect(plain.lines.first?.hasSuffix("\"beta\"") == true, "\(plain.stdout)")

        let tail = try await Self.run(["tail", "--cluster", endpoints, "--from", "0", "--count", "2"])
        #expect(tail.code == 0, "\(tail.stderr)")
        #expect(tail.lines.count == 2 && tail.lines[0].hasSuffix("\"alpha\""), "\(tail.stdout)")

        let info = try await Self.run(["info", "--cluster", endpoints, "--json"])
        #expect(info.code == 0, "\(info.stderr)")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        let partitions = try #require(status["partitions"] as? [[String: Any]])
        #expect(partitions.count == 2)
        #expect(partitions.first?["commit_offset"] as? Int == 4)
        #expect(partitions.first?["leader_address"] as? String == servers[1].address)
        for server in servers { await server.stop() }
    }

    @Test("append --cluster fails with one stderr line when nothing commits within --timeout; usage errors")
    func clusterFailures() async throws {
        let (_, servers) = try await ClientIntegrationTests.cluster(nodes: ["a"], leader: "a")
        let address = servers[0].address
        await servers[0].stop()
        let append = try await Self.run(["append", "--cluster", address, "--timeout", "0.5"], stdin: "lost\n")
        #expect(append.code != 0)
        #expect(append.stdout.isEmpty)
        #expect(append.stderr.split(separator: "\n").count == 1, "\(append.stderr)")
        for arguments in [["dump"], ["dump", "/tmp", "--cluster", address], ["info", "/tmp", "--partition", "1"], ["append", "--cluster", address, "--no-sync"]] {
            let usage = try await Self.run(arguments)
            #expect(usage.code == 2, "\(arguments)")
            #expect(usage.stderr.split(separator: "\n").count == 1, "\(arguments): \(usage.stderr)")
        }
    }
}
