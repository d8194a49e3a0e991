import ArgumentParser
import Foundation
import IrisMQTT
import NIOPosix

/// `fanout`: one pipelined publisher, many subscribers of one topic.
struct FanoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "One publisher (up to --inflight messages unacknowledged) to --subscribers subscribers of one topic."
    )

    @Option(help: "Subscribers of the topic (1...10000).")
    var subscribers = 1000

    @Option(help: "Messages the publisher keeps unacknowledged (1...1000).")
    var inflight = 16

    @OptionGroup var load: LoadOptions

    func validate() throws {
        guard (1...10_000).contains(subscribers) else {
            throw ValidationError("--subscribers must be 1...10000, got \(subscribers)")
        }
        guard (1...1000).contains(inflight) else { throw ValidationError("--inflight must be 1...1000, got \(inflight)") }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let topic = "iris-bench/\(runID)/fanout"
        let filter = try TopicFilter(validating: topic)
        let clients = (0..<subscribers).map { index in
            BenchSubscriber(loop: group.next(), clientID: "bench-\(runID)-s\(index)", filter: filter, qos: load.qosLevel)
        }
        let publisher = BenchPublisher(
            loop: group.next(), clientID: "bench-\(runID)-p", topic: try TopicName(validating: topic), qos: load.qosLevel,
            payloadBytes: load.size, inflightMax: inflight)
        try await LoadRun.connect(clients, host: load.host, ports: load.portList)
        try await LoadRun.connect([publisher], host: load.host, ports: load.portList, shift: 1)
        let window = LoadRun.window(warmupSeconds: load.warmup, durationSeconds: load.duration)
        for subscriber in clients { try await LoadRun.onLoop(subscriber) { $0.arm(window) } }
        publisher.loop.execute { publisher.begin(window) }
        try await LoadRun.sleep(until: window.endNanoseconds)
        try await LoadRun.drain {
            guard let acknowledged = try await LoadRun.onLoop(publisher, { $0.isDrained ? $0.acknowledged : nil }) else { return false }
            for subscriber in clients where try await LoadRun.onLoop(subscriber, { $0.uniqueCount }) < Int(acknowledged) {
                return false
            }
            return true
        }
        let p = try await LoadRun.onLoop(publisher) { ($0.published, $0.acknowledged, $0.acknowledgement, $0.errors, $0.firstError) }
        var endToEnd = LatencyHistogram()
        var delivered = 0
        var errors = p.3
        var lost = 0
        var duplicates = 0
        var firstError = p.4
        for subscriber in clients {
            let s = try await LoadRun.onLoop(subscriber) {
                ($0.deliveredInWindow, $0.endToEnd, $0.missing(below: p.1), $0.duplicates, $0.errors, $0.firstError)
            }
            delivered += s.0
            endToEnd.merge(s.1)
            lost += s.2
            duplicates += s.3
            errors += s.4
            firstError = firstError ?? s.5
        }
        await LoadRun.stop(clients + [publisher])
        try await group.shutdownGracefully()
        var report = RunReport()
        report.add("mode", "fanout")
        report.add("host", load.host)
        report.add("ports", load.portList.map(String.init).joined(separator: ","))
        report.add("subscribers", subscribers)
        report.add("inflight", inflight)
        report.add("qos", Int(load.qos))
        report.add("size_bytes", load.size)
        report.add("duration_s", load.duration)
        report.add("warmup_s", load.warmup)
        report.add("published", p.0)
        report.add("acknowledged", p.1)
        report.add("delivered", delivered)
        report.add("deliveries_per_s", (Double(delivered) / window.seconds).rounded())
        report.add("ack", p.2)
        report.add("e2e", endToEnd)
        report.add("errors", errors)
        report.add("lost", lost)
        report.add("duplicates", duplicates)
        if let firstError { report.add("first_error", firstError) }
        try report.print(json: load.json)
    }
}
