import ArgumentParser
import Foundation
import IrisMQTT
import NIOPosix

/// `pairs`: N publisher/subscriber pairs, one topic each, closed-loop publishers.
struct PairsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pairs",
        abstract: "N publisher/subscriber pairs, each on its own topic; publishers keep one message in flight."
    )

    @Option(help: "Publisher/subscriber pairs (1...10000).")
    var pairs = 1

    @OptionGroup var load: LoadOptions

    func validate() throws {
        guard (1...10_000).contains(pairs) else { throw ValidationError("--pairs must be 1...10000, got \(pairs)") }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        var subscribers: [BenchSubscriber] = []
        var publishers: [BenchPublisher] = []
        for index in 0..<pairs {
            let topic = "iris-bench/\(runID)/pair/\(index)"
            subscribers.append(
                BenchSubscriber(
                    loop: group.next(), clientID: "bench-\(runID)-s\(index)", filter: try TopicFilter(validating: topic),
                    qos: load.qosLevel))
            publishers.append(
                BenchPublisher(
                    loop: group.next(), clientID: "bench-\(runID)-p\(index)", topic: try TopicName(validating: topic),
                    qos: load.qosLevel, payloadBytes: load.size, inflightMax: 1))
        }
        try await LoadRun.connect(subscribers, host: load.host, ports: load.portList)
        try await LoadRun.connect(publishers, host: load.host, ports: load.portList, shift: 1)
        let window = LoadRun.window(warmupSeconds: load.warmup, durationSeconds: load.duration)
        for subscriber in subscribers { try await LoadRun.onLoop(subscriber) { $0.arm(window) } }
        for publisher in publishers { publisher.loop.execute { publisher.begin(window) } }
        try await LoadRun.sleep(until: window.endNanoseconds)
        try await LoadRun.drain {
            for (publisher, subscriber) in zip(publishers, subscribers) {
                let acknowledged = try await LoadRun.onLoop(publisher) { $0.isDrained ? $0.acknowledged : nil }
                guard let acknowledged else { return false }
                let unique = try await LoadRun.onLoop(subscriber) { $0.uniqueCount }
                if UInt64(unique) < acknowledged { return false }
            }
            return true
        }
        let report = try await collect(publishers: publishers, subscribers: subscribers, window: window)
        await LoadRun.stop(subscribers + publishers)
        try await group.shutdownGracefully()
        try report.print(json: load.json)
    }

    private func collect(
        publishers: [BenchPublisher], subscribers: [BenchSubscriber], window: MeasureWindow
    ) async throws -> RunReport {
        var acknowledgement = LatencyHistogram()
        var endToEnd = LatencyHistogram()
        var delivered = 0
        var published: UInt64 = 0
        var acknowledged: UInt64 = 0
        var errors = 0
        var lost = 0
        var duplicates = 0
        var outOfOrder = 0
        var firstError: String?
        for (publisher, subscriber) in zip(publishers, subscribers) {
            let p = try await LoadRun.onLoop(publisher) { ($0.published, $0.acknowledged, $0.acknowledgement, $0.errors, $0.firstError) }
            published += p.0
            acknowledged += p.1
            acknowledgement.merge(p.2)
            errors += p.3
            firstError = firstError ?? p.4
            let s = try await LoadRun.onLoop(subscriber) {
                ($0.deliveredInWindow, $0.endToEnd, $0.missing(below: p.1), $0.duplicates, $0.outOfOrder, $0.errors, $0.firstError)
            }
            delivered += s.0
            endToEnd.merge(s.1)
            lost += s.2
            duplicates += s.3
            outOfOrder += s.4
            errors += s.5
            firstError = firstError ?? s.6
        }
        var report = RunReport()
        report.add("mode", "pairs")
        report.add("host", load.host)
        report.add("ports", load.portList.map(String.init).joined(separator: ","))
        report.add("pairs", pairs)
        report.add("qos", Int(load.qos))
        report.add("size_bytes", load.size)
        report.add("duration_s", load.duration)
        report.add("warmup_s", load.warmup)
        report.add("delivered", delivered)
        report.add("delivered_per_s", (Double(delivered) / window.seconds).rounded())
        report.add("published", published)
        report.add("acknowledged", acknowledged)
        report.add("ack", acknowledgement)
        report.add("e2e", endToEnd)
        report.add("errors", errors)
        report.add("lost", lost)
        report.add("duplicates", duplicates)
        report.add("out_of_order", outOfOrder)
        if let firstError { report.add("first_error", firstError) }
        return report
    }
}
