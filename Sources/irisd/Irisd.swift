import ArgumentParser

/// `irisd`: a node of an Iris cluster, or a single node with nothing to configure.
@main
struct Irisd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "irisd",
        abstract: "An Iris node: partitioned, replicated logs served to clients and peers.",
        subcommands: [ServeCommand.self, CertsCommand.self],
        defaultSubcommand: ServeCommand.self)
}
