import ArgumentParser
import Foundation
import IrisReplication
import IrisTransport

/// `irisd certs DIR --nodes 1,2,3 [--hosts 127.0.0.1,localhost] [--force]`: mints a development
/// TLS directory (SPEC.md §13.1) for `irisd --tls-dir DIR`, `iris-log` and IrisClient.
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create a development TLS directory: a new cluster CA, one certificate per node, one client certificate.",
        discussion: """
            Writes ca.pem, node-N.pem + node-N.key for each node and client.pem + client.key (keys mode 0600). \
            Node N needs ca.pem, node-N.pem and node-N.key; clients need ca.pem, client.pem and client.key. \
            The CA's key is not kept: to add a node, create a new directory for the whole cluster with --force.
            """
    )

    @Argument(help: "The TLS directory (created if missing; its parent must exist).") var directory: String
    @Option(help: "The node IDs, comma-separated, e.g. 1,2,3.") var nodes: String
    @Option(help: "Host names and IP addresses the nodes are reached at, comma-separated (DNS and IP SANs).")
    var hosts = "127.0.0.1,localhost"
    @Flag(help: "Replace an existing CA and every certificate in the directory.") var force = false

    func validate() throws {
        _ = try nodeIDs()
    }

    func run() throws {
        let written: [String]
        do {
            written = try DevelopmentCertificates.mint(directory: directory, nodes: nodeIDs(), hosts: hostList(), overwrite: force)
        } catch {
            FileHandle.standardError.write(Data("irisd certs: \(error)\n".utf8))
            throw ExitCode.failure
        }
        for path in written { print("wrote \(path)") }
        for name in staleFiles(besides: written) {
            print("left \(name): belongs to the replaced CA, so peers refuse it; delete it or run again with all nodes")
        }
    }

    /// `--nodes` as node IDs; refuses anything but whole numbers.
    private func nodeIDs() throws -> [NodeID] {
        let items = Self.list(nodes)
        guard !items.isEmpty else { throw ValidationError("--nodes is empty; e.g. --nodes 1,2,3") }
        return try items.map { item in
            guard let number = UInt64(item) else {
                throw ValidationError("--nodes: \"\(item)\" is not a node ID (a whole number); e.g. --nodes 1,2,3")
            }
            return NodeID(number)
        }
    }

    /// `--hosts` as a list; empty means the certificates carry only their `iris://` identity.
    private func hostList() -> [String] { Self.list(hosts) }

    /// The comma-separated items of `text`, trimmed of surrounding spaces, empty ones dropped.
    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Certificates and keys in the directory that this run did not write: after `--force` they
    /// belong to the replaced CA and no peer will accept them.
    private func staleFiles(besides written: [String]) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let writtenNames = Set(written.map { URL(fileURLWithPath: $0).lastPathComponent })
        return names.filter { ($0.hasSuffix(".pem") || $0.hasSuffix(".key")) && !writtenNames.contains($0) }.sorted()
    }
}
