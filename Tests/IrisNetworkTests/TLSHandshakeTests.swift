import IrisReplication
import IrisTransport
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Mutual TLS between a node's server context and node or client contexts, over real sockets on
/// 127.0.0.1 (SPEC.md §13.3).
@Suite struct TLSHandshakeTests {
    /// Runs a server for node 1 and one client connection with `clientContext`; hands both to `body`.
    private func withConnection(
        serverNode: NodeID = NodeID(1), clientContext: (TLSDirectory) throws -> NIOSSLContext,
        _ body: (TLSEchoServer, TLSTestClient) async throws -> Void
    ) async throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let server = try await TLSEchoServer(group: group, context: IrisTLS.serverContext(directory: directory.tls, nodeID: serverNode))
            let client = try await TLSTestClient(
                group: group, port: server.port, context: clientContext(directory.tls), expectedBytes: Self.message.count)
            try await body(server, client)
            try? await client.channel.close()
            try? await server.channel.close()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private static let message = Array("hello over mutual TLS".utf8)

    @Test func nodesCompleteMutualHandshakeAndReadEachOthersIdentity() async throws {
        try await withConnection(clientContext: { directory in try IrisTLS.clientContext(directory: directory, role: .node(NodeID(2))) }) {
            server, client in
            let accepted = try await tlsAwait(server.firstConnection, "the server's handshake")
            try await tlsAwait(client.handshake, "the client's handshake")
            try await client.send(Self.message)
            #expect(try await tlsAwait(client.received, "the echo") == Self.message)

            #expect(try await IrisTLS.peerIdentity(on: accepted) == .node(NodeID(2)))
            #expect(try await IrisTLS.peerIdentity(on: client.channel) == .node(NodeID(1)))
            try await IrisTLS.requireNode(NodeID(2), on: accepted)
            try await IrisTLS.requireNode(NodeID(1), on: client.channel)
        }
    }

    @Test func requireNodeRefusesAnotherNodesCertificate() async throws {
        try await withConnection(clientContext: { directory in try IrisTLS.clientContext(directory: directory, role: .node(NodeID(2))) }) {
            server, _ in
            let accepted = try await tlsAwait(server.firstConnection, "the server's handshake")
            await #expect(throws: TLSIdentityError.wrongPeer(expected: .node(NodeID(3)), presented: .node(NodeID(2)))) {
                try await IrisTLS.requireNode(NodeID(3), on: accepted)
            }
        }
    }

    @Test func clientCertificateIdentifiesAsClientAndIsNoNode() async throws {
        try await withConnection(clientContext: { directory in try IrisTLS.clientContext(directory: directory, role: .client) }) {
            server, client in
            let accepted = try await tlsAwait(server.firstConnection, "the server's handshake")
            try await client.send(Self.message)
            #expect(try await tlsAwait(client.received, "the echo") == Self.message)
            #expect(try await IrisTLS.peerIdentity(on: accepted) == .client(DevelopmentCertificates.clientNameDefault))
            await #expect(throws: TLSIdentityError.wrongPeer(expected: .node(NodeID(2)), presented: .client("iris"))) {
                try await IrisTLS.requireNode(NodeID(2), on: accepted)
            }
        }
    }

    @Test func clientWithCertificateFromAnotherCAIsRefused() async throws {
        let other = try TLSTestDirectory()
        defer { other.cleanup() }
        let stranger = try other.tls.load(.node(NodeID(2)))
        try await withConnection(clientContext: { directory in
            // Trusts the right CA (so it accepts the server) but presents another CA's node 2.
            let ours = try directory.load(.node(NodeID(2)))
            var credentials = stranger
            credentials.certificateAuthorities = ours.certificateAuthorities
            return try IrisTLS.context(IrisTLS.clientConfiguration(credentials))
        }) { server, client in
            try await expectRefused(server: server, client: client, reason: "CERTIFICATE_VERIFY_FAILED")
        }
    }

    @Test func clientPresentingNoCertificateIsRefused() async throws {
        try await withConnection(clientContext: { directory in
            var configuration = IrisTLS.clientConfiguration(try directory.load(.client))
            configuration.certificateChain = []
            configuration.privateKey = nil
            return try IrisTLS.context(configuration)
        }) { server, client in
            try await expectRefused(server: server, client: client, reason: "PEER_DID_NOT_RETURN_A_CERTIFICATE")
        }
    }

    @Test func clientRefusesServerFromAnotherCA() async throws {
        let other = try TLSTestDirectory()
        defer { other.cleanup() }
        try await withConnection(clientContext: { _ in try IrisTLS.clientContext(directory: other.tls, role: .node(NodeID(2))) }) {
            server, client in
            await #expect(throws: (any Error).self) { try await tlsAwait(client.handshake, "the client's handshake") }
            await #expect(throws: (any Error).self) { try await tlsAwait(server.firstConnection, "the server's handshake") }
        }
    }

    @Test func serverPresentingAClientOnlyCertificateIsRefused() async throws {
        let directory = try TLSTestDirectory()
        defer { directory.cleanup() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // client.pem lacks the server-authentication usage, so a dialling node must refuse it.
        let serverContext = try IrisTLS.context(IrisTLS.serverConfiguration(directory.tls.load(.client)))
        let server = try await TLSEchoServer(group: group, context: serverContext)
        let client = try await TLSTestClient(
            group: group, port: server.port, context: IrisTLS.clientContext(directory: directory.tls, role: .node(NodeID(2))),
            expectedBytes: Self.message.count)
        let error = await #expect(throws: NIOSSLError.self) { try await tlsAwait(client.handshake, "the client's handshake") }
        #expect(error.map { "\($0)" }?.contains("CERTIFICATE_VERIFY_FAILED") == true, "\(String(describing: error))")
        await #expect(throws: (any Error).self) { try await tlsAwait(server.firstConnection, "the server's handshake") }
        try? await server.channel.close()
        try await group.shutdownGracefully()
    }

    @Test func plainTCPChannelHasNoIdentity() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let client = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: server.localAddress?.port ?? 0).get()
        await #expect(throws: TLSIdentityError.notTLS) { try await IrisTLS.peerIdentity(on: client) }
        try await client.close()
        await #expect(throws: TLSIdentityError.connectionClosed) { try await IrisTLS.peerIdentity(on: client) }
        try await server.close()
        try await group.shutdownGracefully()
    }

    /// The server's handshake fails for `reason` (BoringSSL's name for it) and the client never
    /// gets its bytes back.
    private func expectRefused(server: TLSEchoServer, client: TLSTestClient, reason: String) async throws {
        try? await client.send(Self.message)
        let serverError = await #expect(throws: NIOSSLError.self) { try await tlsAwait(server.firstConnection, "the server's handshake") }
        #expect(serverError.map { "\($0)" }?.contains(reason) == true, "\(String(describing: serverError))")
        await #expect(throws: (any Error).self) { try await tlsAwait(client.received, "the echo") }
    }
}
