import ArgumentParser

/// `iris-mqtt-bench`: MQTT 3.1.1 load against any broker (irisd, Mosquitto) from one 2-thread event loop group.
@main
struct IrisMQTTBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iris-mqtt-bench",
        abstract: "MQTT 3.1.1 load generator: 1:1 publisher/subscriber pairs or one-to-many fan-out.",
        subcommands: [PairsCommand.self, FanoutCommand.self]
    )
}
