import ArgumentParser
import Foundation
import IrisLog

/// The main job until the node exists: embeds IrisLog as a user would. Many concurrent
/// producers append durably, then it reads everything back, follows the tail, reopens and
/// checks, printing what it did and how fast.
@main
struct IrisExample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iris-example",
        abstract: "Append, read back, follow and reopen an IrisLog, printing throughput and latency.")

    @Option(help: "Directory for the log (a fresh temporary one by default).")
    var directory: String?
    @Option(help: "Records to append.")
    var records = 300_000
    @Option(help: "Concurrent producers (comma-separated list runs each in turn).")
    var producers = "1,256"
    @Option(help: "Bytes per record value.")
    var recordSize = 100
    @Option(help: "I/O backends to run: uring, posix (comma-separated).")
    var io = "uring,posix"

    mutating func run() async throws {
        let producerCounts = producers.split(separator: ",").compactMap { Int($0) }
        let backends = io.split(separator: ",").map(String.init)
        print("iris-example: \(records) records of \(recordSize) bytes, producers \(producerCounts), backends \(backends)")
        print("backend  producers  records/s   p50 us   p99 us  p99.9 us  read rec/s  reopen ms  tail")
        for backend in backends {
            for count in producerCounts {
                let base = directory ?? FileManager.default.temporaryDirectory.path + "/iris-example-\(getpid())"
                let path = "\(base)-\(backend)-\(count)"
                try? FileManager.default.removeItem(atPath: path)
                defer { try? FileManager.default.removeItem(atPath: path) }
                let row = try await ExampleRun(path: path, backend: backend, producers: count, records: records, recordSize: recordSize).run()
                print(row)
            }
        }
    }
}

struct ExampleRun {
    let path: String
    let backend: String
    let producers: Int
    let records: Int
    let recordSize: Int

    func run() async throws -> String {
        var configuration = LogConfiguration()
        configuration.ioBackend = backend == "posix" ? .posix : .uring
        let log = try Log.open(directory: path, configuration: configuration)

        // A follower starts before the writers and must see every record, in order.
        let follower = Task { () throws -> Int in
            var seen = 0
            for try await record in log.follow(from: Offset(0)) {
                precondition(record.offset == Offset(UInt64(seen)), "tail out of order")
                seen += 1
                if seen == records { break }
            }
            return seen
        }

        let perProducer = records / producers
        let started = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for producer in 0..<producers {
                let count = producer < records % producers ? perProducer + 1 : perProducer
                group.addTask {
                    var samples: [Double] = []
                    samples.reserveCapacity(count)
                    var value = [UInt8](repeating: UInt8(truncatingIfNeeded: producer), count: recordSize)
                    for index in 0..<count {
                        value[0] = UInt8(truncatingIfNeeded: index)
                        let before = ContinuousClock.now
                        _ = try await log.append(value)
                        samples.append((ContinuousClock.now - before).microseconds)
                    }
                    return samples
                }
            }
            var all: [Double] = []
            for try await samples in group { all.append(contentsOf: samples) }
            return all.sorted()
        }
        let appendSeconds = (ContinuousClock.now - started).seconds
        precondition(log.nextOffset == Offset(UInt64(records)), "lost or extra records")

        let readStarted = ContinuousClock.now
        var next = Offset(0)
        var readCount = 0
        while next < log.nextOffset {
            let batch = try log.read(from: next, maxBytes: 1 << 20)
            readCount += batch.count
            next = batch.last!.offset.advanced(by: 1)
        }
        let readSeconds = (ContinuousClock.now - readStarted).seconds
        precondition(readCount == records)
        let tailed = try await follower.value
        let ioName = log.ioBackendName
        await log.close()

        let reopenStarted = ContinuousClock.now
        let reopened = try Log.open(directory: path, configuration: configuration)
        let reopenMilliseconds = (ContinuousClock.now - reopenStarted).seconds * 1000
        precondition(reopened.nextOffset == Offset(UInt64(records)), "reopen lost records")
        await reopened.close()

        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        return String(format: "%-8@ %9d %10.0f %8.0f %8.0f %9.0f %11.0f %10.1f  %d/%d",
                      ioName, producers, Double(records) / appendSeconds, percentile(0.5), percentile(0.99),
                      percentile(0.999), Double(readCount) / readSeconds, reopenMilliseconds, tailed, records)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var microseconds: Double { seconds * 1e6 }
}
