import IrisMQTT
import IrisRouter
import Testing

/// Retained messages streamed to a new subscription in pages, within the session's window
/// (SPEC.md §16.5), through `RouterHarness`.
@Suite struct ShardCoreRetainedStreamTests {
    /// `count` retained topics `r/NNNNNN` with payload `vNNNNNN`.
    static func retained(_ count: Int) -> [(topic: String, payload: String)] {
        (0..<count).map { index in
            let name = String(index).leftPadded(to: 6)
            return ("r/\(name)", "v\(name)")
        }
    }

    /// Reads and acknowledges until nothing comes, at most `roundsMax` rounds; returns the PUBLISH
    /// packets received and the most that were unacknowledged at once.
    static func drain(_ harness: RouterHarness, _ token: ConnectionToken, roundsMax: Int) -> (received: [Publish], outstandingMax: Int) {
        var received: [Publish] = []
        var outstandingMax = 0
        for _ in 0..<roundsMax {
            harness.settle()
            let publishes = harness.takeInbox(token).publishes
            if publishes.isEmpty { break }
            received += publishes
            outstandingMax = max(outstandingMax, publishes.filter { $0.qos != .atMostOnce }.count)
            for publish in publishes where publish.qos == .atLeastOnce { harness.send(token, .puback(packetID: publish.packetID)) }
        }
        return (received, outstandingMax)
    }

    @Test func oneHundredThousandRetainedTopicsArriveInPagesWithinTheWindow() {
        let harness = RouterHarness(flightsMax: 64, catchUpLimit: 256)
        harness.storeRetained(Self.retained(100_000), qos: .atLeastOnce)
        harness.settle()
        let sub = ShardCoreDeliveryTests.connected(harness, "sub", clean: true)
        harness.send(sub, subscribe(1, ("r/#", .atLeastOnce)))
        let (received, outstandingMax) = Self.drain(harness, sub, roundsMax: 10_000)
        #expect(received.count == 100_000)
        #expect(received.map(\.text) == Self.retained(100_000).map(\.payload), "every topic once, in topic order")
        #expect(received.allSatisfy { $0.retain && $0.qos == .atLeastOnce })
        #expect(outstandingMax == 64, "never more than the window unacknowledged, and the window used")
        #expect(harness.retainedReads >= 100_000 / 64, "read in pages no larger than the window")
    }

    @Test func atMostOnceSubscriptionGetsEveryPageWithoutAcknowledging() {
        let harness = RouterHarness(flightsMax: 4, catchUpLimit: 10)
        harness.storeRetained(Self.retained(1_000), qos: .exactlyOnce)
        harness.settle()
        let sub = ShardCoreDeliveryTests.connected(harness, "sub", clean: true)
        harness.send(sub, subscribe(1, ("r/+", .atMostOnce)))
        harness.settle()
        let received = harness.takeInbox(sub).publishes
        #expect(received.map(\.text) == Self.retained(1_000).map(\.payload))
        #expect(received.allSatisfy { $0.retain && $0.qos == .atMostOnce })
        #expect(harness.retainedReads >= 100)
    }

    @Test func disconnectMidStreamStopsIt() {
        let harness = RouterHarness(flightsMax: 10, catchUpLimit: 10)
        harness.storeRetained(Self.retained(1_000), qos: .atLeastOnce)
        harness.settle()
        let sub = ShardCoreDeliveryTests.connected(harness, "sub", clean: true)
        harness.send(sub, subscribe(1, ("r/#", .atLeastOnce)))
        harness.settle()
        let first = harness.takeInbox(sub).publishes
        #expect(first.count == 10, "the window's worth, then the stream waits for acknowledgements")
        for publish in first { harness.send(sub, .puback(packetID: publish.packetID)) }
        // A page is asked for; the client leaves before it is answered.
        harness.drop(sub)
        let readsAtDrop = harness.retainedReads
        harness.settle()
        #expect(harness.retainedReads == readsAtDrop + 1, "the outstanding page is answered and ignored; no more are asked for")
        // Subscribing again on a new connection starts over from the first topic.
        let again = ShardCoreDeliveryTests.connected(harness, "sub", clean: true)
        harness.send(again, subscribe(1, ("r/#", .atLeastOnce)))
        let (received, outstandingMax) = Self.drain(harness, again, roundsMax: 1_000)
        #expect(received.map(\.text) == Self.retained(1_000).map(\.payload))
        #expect(outstandingMax <= 10)
    }

    @Test func unsubscribeAndResubscribeMidStream() {
        let harness = RouterHarness(flightsMax: 10, catchUpLimit: 10)
        harness.storeRetained(Self.retained(100), qos: .atLeastOnce)
        harness.settle()
        let sub = ShardCoreDeliveryTests.connected(harness, "sub", clean: true)
        harness.send(sub, subscribe(1, ("r/#", .atLeastOnce)))
        harness.settle()
        var received = harness.takeInbox(sub).publishes
        #expect(received.count == 10)
        // Subscribing again to the same filter sends its retained messages again, from the start.
        harness.send(sub, subscribe(2, ("r/#", .atLeastOnce)))
        harness.settle()
        for publish in received { harness.send(sub, .puback(packetID: publish.packetID)) }
        received = Self.drain(harness, sub, roundsMax: 1_000).received
        #expect(received.map(\.text) == Self.retained(100).map(\.payload))
        // Unsubscribing ends the stream.
        harness.send(sub, subscribe(3, ("r/#", .atLeastOnce)))
        harness.settle()
        let beforeUnsubscribe = harness.takeInbox(sub).publishes
        harness.send(sub, .unsubscribe(packetID: 4, filters: [filter("r/#")]))
        for publish in beforeUnsubscribe { harness.send(sub, .puback(packetID: publish.packetID)) }
        harness.settle()
        #expect(harness.takeInbox(sub).publishes.isEmpty)
    }

    @Test func clearAndReplacementMidStreamAreSeen() {
        let harness = RouterHarness(flightsMax: 10, catchUpLimit: 10)
        harness.storeRetained(Self.retained(200), qos: .atLeastOnce)
        harness.settle()
        let sub = ShardCoreDeliveryTests.connected(harness, "sub", clean: true)
        harness.send(sub, subscribe(1, ("r/#", .atLeastOnce)))
        harness.settle()
        let first = harness.takeInbox(sub).publishes
        #expect(first.map(\.text) == Self.retained(10).map(\.payload))
        // Before the stream reaches them: r/000100 is cleared, r/000150 replaced, r/000005 replaced
        // behind it (a live message, not a retained copy).
        let pub = ShardCoreDeliveryTests.connected(harness, "pub", clean: true)
        harness.send(pub, publish("r/000100", "", qos: .atMostOnce, retain: true))
        harness.send(pub, publish("r/000150", "new", qos: .atMostOnce, retain: true))
        harness.send(pub, publish("r/000005", "live", qos: .atMostOnce, retain: true))
        harness.settle()
        for publish in first { harness.send(sub, .puback(packetID: publish.packetID)) }
        let rest = Self.drain(harness, sub, roundsMax: 1_000).received
        let live = rest.filter { !$0.retain }.map(\.text)
        #expect(live == ["", "new", "live"])
        let streamed = rest.filter(\.retain).map(\.text)
        var expected = Self.retained(200).dropFirst(10).map(\.payload)
        expected.removeAll { $0 == "v000100" }
        expected[expected.firstIndex(of: "v000150")!] = "new"
        #expect(streamed == expected)
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
