import Foundation
import Testing
@testable import IrisLog

/// Every log of the process runs on the I/O engine's threads (SPEC.md §7): named, so an
/// operator or a profile tells them apart from the application's (`top -H`,
/// `/proc/PID/task/*/comm`), and fixed in number however many logs are open.
struct ThreadNameTests {
    private func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// With io_uring the syncs of all of them go through the engine's one ring; with POSIX and
    /// the simulated disk through its sync threads.
    @Test(arguments: [Backend.simulated, .posix, .uring])
    func manyOpenLogsShareTheEnginesNamedThreads(backend: Backend) async throws {
        // 48 logs at once would have run 96 threads with a writer and a syncer per log.
        let fixtures = (0..<48).map { _ in LogFixture(backend) { $0.durability = .fsync } }
        defer { fixtures.forEach { $0.cleanup() } }
        let logs = try fixtures.map { try $0.open() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, log) in logs.enumerated() {
                group.addTask {
                    for round in 0..<4 { _ = try await log.append(Record(value: payload(index * 10 + round, size: 10))) }
                }
            }
            try await group.waitForAll()
        }
        let names = threadNames()
        let engineThreads = names.filter { $0.hasPrefix("iris-") }
        #expect(names.contains("iris-lane-0"), "threads: \(Set(names))")
        #expect(engineThreads.allSatisfy { $0.hasPrefix("iris-lane-") || ["iris-sync", "iris-read", "iris-uring"].contains($0) },
                "threads: \(engineThreads)")
        #expect(engineThreads.count <= IOEngine.shared.threadsMax, "\(engineThreads.count) engine threads: \(engineThreads)")
        for log in logs { await log.close() }
        for (index, fixture) in fixtures.enumerated() {
            let reopened = try fixture.open(readOnly: true)
            #expect(try reopened.readAll().map(\.value) == (0..<4).map { payload(index * 10 + $0, size: 10) })
            await reopened.close()
        }
    }
}
