import ArgumentParser
import IrisClient
import IrisTransport
import NIOSSL

/// The options every subcommand takes to work on a cluster instead of a directory
/// (ARCHITECTURE §6): `--cluster HOST:PORT[,HOST:PORT...] [--partition K] [--timeout SECONDS]`.
struct ClusterOptions: ParsableArguments {
    @Option(help: "Work on a running cluster: its nodes' client addresses, HOST:PORT[,HOST:PORT...], instead of DIR.") var cluster: String?
    @Option(help: "With --cluster: the partition (default 0).") var partition: UInt32?
    @Option(help: "With --cluster: seconds to keep retrying before giving up (default 30).") var timeout: Double?
    @Option(name: .customLong("tls-dir"), help: "With --cluster: mutual TLS with the client certificate in DIR (made by `irisd certs`).")
    var tlsDirectory: String?

    /// The endpoints of `--cluster`, nil without it.
    var endpoints: [String]? {
        cluster.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// Exactly one of a directory and `--cluster`; the cluster-only options only with it.
    func validate(directory: String?) throws {
        switch (directory, endpoints) {
        case (nil, nil): throw ValidationError("give a log DIR, or --cluster HOST:PORT[,HOST:PORT...]")
        case (.some, .some): throw ValidationError("give either a log DIR or --cluster, not both")
        case (nil, .some(let endpoints)):
            if endpoints.isEmpty { throw ValidationError("--cluster needs at least one HOST:PORT") }
            if let timeout, !(timeout > 0 && timeout <= 86_400) { throw ValidationError("--timeout must be within 0 ... 86400 seconds") }
        case (.some, nil):
            if partition != nil || timeout != nil || tlsDirectory != nil {
                throw ValidationError("--partition, --timeout and --tls-dir apply only with --cluster")
            }
        }
    }

    /// A client of the cluster with the timeout given.
    func client() throws(ToolFailure) -> IrisClient {
        var configuration = IrisClientConfiguration()
        configuration.operationTimeout = .milliseconds(Int64((timeout ?? 30) * 1_000))
        configuration.requestTimeout = min(configuration.requestTimeout, configuration.operationTimeout)
        var tls: NIOSSLContext?
        if let tlsDirectory {
            do throws(TLSDirectoryError) {
                tls = try IrisTLS.clientContext(directory: TLSDirectory(path: tlsDirectory), role: .client)
            } catch {
                throw ToolFailure.usage("--tls-dir: \(error)")
            }
        }
        do throws(IrisClientError) {
            return try IrisClient(endpoints: endpoints ?? [], tls: tls, configuration: configuration)
        } catch {
            throw ToolFailure.usage(error.description)
        }
    }

    /// The partition (default 0).
    var partitionNumber: UInt32 { partition ?? 0 }
}
