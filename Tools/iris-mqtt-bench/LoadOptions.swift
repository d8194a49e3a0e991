import ArgumentParser
import IrisMQTT

/// Options both commands share.
struct LoadOptions: ParsableArguments {
    @Option(help: "Broker host.")
    var host = "127.0.0.1"

    @Option(help: "Broker MQTT port.")
    var port = 1883

    @Option(help: "Several brokers' ports on --host (a cluster's nodes), comma-separated: overrides --port; clients are spread over them round-robin, and a pair's publisher uses the port after its subscriber's.")
    var ports: String?

    /// The ports clients connect to: `--ports`, or `--port` alone.
    var portList: [Int] {
        guard let ports else { return [port] }
        return ports.split(separator: ",").compactMap { Int($0) }
    }

    @Option(help: "QoS of publishes and subscriptions: 0, 1 or 2.")
    var qos: UInt8 = 1

    @Option(help: "Payload bytes (at least 16: sequence number and send time).")
    var size = 1024

    @Option(help: "Measured seconds.")
    var duration: Double = 10

    @Option(help: "Seconds of load before measuring.")
    var warmup: Double = 1

    @Flag(help: "Print the figures as one JSON object on the last line too.")
    var json = false

    /// The QoS as the codec's type.
    var qosLevel: QoS { QoS(rawValue: qos) ?? .atMostOnce }

    func validate() throws {
        guard QoS(rawValue: qos) != nil else { throw ValidationError("--qos must be 0, 1 or 2, got \(qos)") }
        guard size >= BenchPayload.headerBytes, size <= 256 * 1024 else {
            throw ValidationError("--size must be 16...262144 bytes, got \(size)")
        }
        guard duration > 0, duration <= 3600 else { throw ValidationError("--duration must be in (0, 3600] seconds") }
        if let ports {
            let list = ports.split(separator: ",")
            guard !list.isEmpty, list.allSatisfy({ Int($0).map { (1...65_535).contains($0) } ?? false }) else {
                throw ValidationError("--ports: expected PORT,PORT,... (1...65535), got \(ports)")
            }
        }
        guard warmup >= 0, warmup <= 600 else { throw ValidationError("--warmup must be in [0, 600] seconds") }
    }
}
