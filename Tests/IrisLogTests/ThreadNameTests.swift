import Foundation
import Testing
@testable import IrisLog

/// The log's own threads carry names (`top -H`, `/proc/PID/task/*/comm`), so an operator or a
/// profile tells them apart from the application's.
struct ThreadNameTests {
    private func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    @Test func aWritableLogRunsANamedWriterAndSyncer() async throws {
        let fixture = LogFixture(.simulated) { $0.durability = .fsync }
        let log = try fixture.open()
        _ = try await log.append(Record(value: payload(1, size: 10)))
        // Started before the append returned: the writer wrote it, the syncer made it durable.
        let names = threadNames()
        #expect(names.contains("iris-log-write"), "threads: \(Set(names))")
        #expect(names.contains("iris-log-sync"), "threads: \(Set(names))")
        await log.close()
    }
}
