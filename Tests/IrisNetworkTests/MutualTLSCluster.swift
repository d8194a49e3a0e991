import Foundation
import IrisReplication
import IrisTransport

@testable import IrisDaemon

/// Three nodes served in this process, one partition of three replicas, peers and clients over
/// mutual TLS with development certificates minted for them; `stop()` stops the nodes and
/// removes the certificates and data directories.
struct MutualTLSCluster {
    let members: [NodeID: Endpoint]
    /// The minted TLS directory.
    let certificates: String
    let nodes: [ServedNode]

    static func start() throws -> MutualTLSCluster {
        let ports = try freePorts(3)
        let members = Dictionary(uniqueKeysWithValues: (0..<3).map { (NodeID(UInt64($0 + 1)), Endpoint(host: "127.0.0.1", port: ports[$0])) })
        let certificates = TestNodes.temporaryDirectory()
        try DevelopmentCertificates.mint(directory: certificates, nodes: members.keys.sorted(), hosts: ["127.0.0.1"], overwrite: true)
        let configurations = (1...3).map { id in
            var configuration = NodeConfiguration(
                dataDirectory: TestNodes.temporaryDirectory(), nodeID: NodeID(UInt64(id)), members: members,
                partitionCount: 1, replicaCount: 3)
            configuration.tlsDirectory = certificates
            return configuration
        }
        return MutualTLSCluster(members: members, certificates: certificates, nodes: try configurations.map { try ServedNode.start($0) })
    }

    /// Every node's address, in node order.
    var addresses: [String] { members.keys.sorted().map { members[$0]!.description } }

    func stop() async {
        for node in nodes {
            await node.stop()
            try? FileManager.default.removeItem(atPath: node.configuration.dataDirectory)
        }
        try? FileManager.default.removeItem(atPath: certificates)
    }
}
