import IrisClient
import IrisClientProtocol
import IrisLog
import IrisTransport
import Testing

/// IrisClient against real NIO servers on 127.0.0.1 backed by the fake cluster (SPEC.md §12).
@Suite struct ClientIntegrationTests {
    static func values(_ records: [LogRecord]) -> [String] { records.map { String(decoding: $0.value, as: UTF8.self) } }
    static func records(_ values: String...) -> [Record] { values.map { Record(value: Array($0.utf8)) } }

    /// A fake cluster whose nodes each get a server; returns the servers in node order.
    static func cluster(nodes: [String], partitions: UInt32 = 2, leader: String, configuration: ClientConnectionConfiguration = ClientConnectionConfiguration()) async throws -> (FakeCluster, [ClientTestServer]) {
        let cluster = FakeCluster(partitions: partitions, leader: leader)
        var servers: [ClientTestServer] = []
        for node in nodes {
            let server = try await ClientTestServer.start(FakeNode(cluster: cluster, name: node), configuration: configuration)
            await cluster.register(node: node, address: server.address)
            servers.append(server)
        }
        return (cluster, servers)
    }

    static func fastConfiguration() -> IrisClientConfiguration {
        var configuration = IrisClientConfiguration()
        configuration.operationTimeout = .seconds(10)
        configuration.retryDelayMax = .milliseconds(50)
        return configuration
    }

    @Test("appended batches read back in order with their offsets (§12.4 APPEND, READ)")
    func appendAndReadBack() async throws {
        let (_, servers) = try await Self.cluster(nodes: ["a"], leader: "a")
        let client = try IrisClient(endpoints: [servers[0].address], configuration: Self.fastConfiguration())
        #expect(try await client.append(partition: 0, records: Self.records("one", "two")) == Offset(0))
        #expect(try await client.append(partition: 0, records: Self.records("three")) == Offset(2))
        #expect(try await client.append(partition: 1, records: Self.records("other")) == Offset(0))
        let batch = try await client.read(partition: 0, from: Offset(1))
        #expect(Self.values(batch.records) == ["two", "three"])
        #expect(batch.nextOffset == Offset(3))
        #expect(try await client.read(partition: 0, from: Offset(3)).records.isEmpty)
        let status = try await client.status()
        #expect(status.partitions.map(\.commitEnd) == [LogEnd(3), LogEnd(1)])
        await expectError(.unknownPartition(9)) { () async throws(IrisClientError) in _ = try await client.append(partition: 9, records: Self.records("x")) }
        await expectError(.emptyBatch) { () async throws(IrisClientError) in _ = try await client.append(partition: 0, records: []) }
        await client.close()
        for server in servers { await server.stop() }
    }

    @Test("NOT_LEADER with an address sends the client to the leader, which it then remembers (§12.8)")
    func redirect() async throws {
        let (cluster, servers) = try await Self.cluster(nodes: ["a", "b"], leader: "b")
        let client = try IrisClient(endpoints: [servers[0].address], configuration: Self.fastConfiguration())
        #expect(try await client.append(partition: 0, records: Self.records("first")) == Offset(0))
        #expect(await cluster.appendCalls["a"] == 1)
        #expect(try await client.append(partition: 0, records: Self.records("second")) == Offset(1))
        #expect(await cluster.appendCalls["a"] == 1, "the second append goes straight to the cached leader")
        #expect(await cluster.appendCalls["b"] == 2)
        #expect(Self.values(await cluster.logs[0]!) == ["first", "second"])
        await client.close()
        for server in servers { await server.stop() }
    }

    @Test("an OUTCOME_UNKNOWN append retried with the same sequence is stored exactly once (§12.7)")
    func outcomeUnknownRetryLandsOnce() async throws {
        let (cluster, servers) = try await Self.cluster(nodes: ["a"], leader: "a")
        await cluster.setOutcomeUnknownBudget(1)
        let client = try IrisClient(endpoints: [servers[0].address], configuration: Self.fastConfiguration())
        #expect(try await client.append(partition: 0, records: Self.records("once", "only")) == Offset(0))
        #expect(await cluster.appendCalls["a"] == 2, "the first attempt and its retry")
        #expect(await cluster.storedBatches == 1)
        #expect(Self.values(await cluster.logs[0]!) == ["once", "only"])
        #expect(try await client.append(partition: 0, records: Self.records("next")) == Offset(2), "a new append gets a new sequence")
        await client.close()
        for server in servers { await server.stop() }
    }

    @Test("an append that is sent but never answered ends in outcomeUnknown; one that never reaches a leader in unreachable")
    func timeoutsAreTyped() async throws {
        let (cluster, servers) = try await Self.cluster(nodes: ["a"], leader: "a")
        await cluster.setAppendDelay(.seconds(5))
        var configuration = IrisClientConfiguration()
        configuration.requestTimeout = .milliseconds(100)
        configuration.operationTimeout = .milliseconds(300)
        let client = try IrisClient(endpoints: [servers[0].address], configuration: configuration)
        do {
            _ = try await client.append(partition: 0, records: Self.records("slow"))
            Issue.record("the append should not succeed")
        } catch {
            guard case .outcomeUnknown(partition: 0, sequence: 1, _) = error else { Issue.record("expected outcomeUnknown, got \(error)"); return }
        }
        await client.close()
        for server in servers { await server.stop() }
        let nobody = try IrisClient(endpoints: [servers[0].address], configuration: configuration)
        do {
            _ = try await nobody.append(partition: 0, records: Self.records("lost"))
            Issue.record("the append should not succeed")
        } catch {
            guard case .unreachable = error else { Issue.record("expected unreachable, got \(error)"); return }
        }
        await nobody.close()
    }

    @Test("FOLLOW delivers records appended after it started, in order, after following NOT_LEADER to the leader (§12.4 FOLLOW)")
    func followDeliversLaterRecords() async throws {
        let (_, servers) = try await Self.cluster(nodes: ["a", "b"], leader: "b")
        let client = try IrisClient(endpoints: [servers[0].address], configuration: Self.fastConfiguration())
        _ = try await client.append(partition: 0, records: Self.records("before"))
        // A client of its own, so the follow starts at "a" (no leader cached) and is redirected.
        let reader = try IrisClient(endpoints: [servers[0].address], configuration: Self.fastConfiguration())
        let follower = Task { () throws(IrisClientError) -> [String] in
            var seen: [String] = []
            for try await record in reader.follow(partition: 0, from: Offset(0)) {
                seen.append(String(decoding: record.value, as: UTF8.self))
                if seen.count == 6 { break }
            }
            return seen
        }
        for index in 1...5 { _ = try await client.append(partition: 0, records: Self.records("after-\(index)")) }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(20))
            follower.cancel()
        }
        let seen = try await follower.value
        watchdog.cancel()
        #expect(seen == ["before", "after-1", "after-2", "after-3", "after-4", "after-5"])
        await reader.close()
        await client.close()
        for server in servers { await server.stop() }
    }

    @Test("many pipelined appends on one connection never run more than inFlightRequestsMax at once (§12.6)")
    func backpressureBoundsInFlight() async throws {
        let (cluster, servers) = try await Self.cluster(nodes: ["a"], leader: "a", configuration: ClientConnectionConfiguration(inFlightRequestsMax: 4))
        await cluster.setAppendDelay(.milliseconds(10))
        let client = try IrisClient(endpoints: [servers[0].address], configuration: Self.fastConfiguration())
        _ = try await client.append(partition: 0, records: Self.records("warm-up"))
        let offsets = try await withThrowingTaskGroup(of: Offset.self) { group in
            for index in 0..<64 { group.addTask { try await client.append(partition: 0, records: Self.records("r\(index)")) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(offsets.map(\.rawValue)) == Set(1...64))
        let peak = await cluster.appendsRunningMax
        #expect(peak <= 4, "the service saw \(peak) appends at once")
        #expect(peak >= 2, "the appends were pipelined (peak \(peak))")
        await client.close()
        for server in servers { await server.stop() }
    }

    @Test("the sniffer closes an unknown preamble and passes on bytes that came with a known one (§12.1)")
    func preambleDispatch() async throws {
        let (_, servers) = try await Self.cluster(nodes: ["a"], leader: "a")
        #expect(try await RawClient.exchange(Array("HTTP/1.1".utf8), with: servers[0].address).isEmpty)
        let status = ClientFrameCodec.encode(ClientFrame<ClientRequest>(requestID: 42, message: .status))
        let answer = try await RawClient.exchange(ClientPreamble.bytes + status, with: servers[0].address)
        let frame = try ClientFrameCodec.decodeAnswer(answer, limits: ClientProtocolLimits())
        #expect(frame.requestID == 42)
        guard case .status(let cluster) = frame.message else { Issue.record("expected STATUS, got \(frame.message)"); return }
        #expect(cluster.partitions.count == 2)
        // A damaged frame closes the connection without an answer.
        var damaged = status
        damaged[12] ^= 0x40
        #expect(try await RawClient.exchange(ClientPreamble.bytes + damaged, with: servers[0].address).isEmpty)
        for server in servers { await server.stop() }
    }
}

func expectError(_ expected: IrisClientError, _ body: () async throws(IrisClientError) -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected \(expected), nothing was thrown", sourceLocation: sourceLocation)
    } catch {
        #expect(error == expected, sourceLocation: sourceLocation)
    }
}
