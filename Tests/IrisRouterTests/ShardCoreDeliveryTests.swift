import IrisMQTT
import IrisRouter
import Testing

/// Outbound delivery: QoS, overlapping subscriptions, offline queueing, redelivery after reconnect
/// and after a crash, through `RouterHarness`.
@Suite struct ShardCoreDeliveryTests {
    /// A connection whose CONNACK has been read.
    static func connected(_ harness: RouterHarness, _ clientID: String, clean: Bool) -> ConnectionToken {
        let token = harness.connect(clientID, clean: clean)
        harness.settle()
        _ = harness.takeInbox(token)
        return token
    }

    /// A connection subscribed to `subscriptions`, its CONNACK and SUBACK read.
    static func subscriber(_ harness: RouterHarness, _ clientID: String, clean: Bool, _ subscriptions: (String, QoS)...) -> ConnectionToken {
        let token = connected(harness, clientID, clean: clean)
        harness.send(token, .subscribe(packetID: 1, subscriptions: subscriptions.map { Subscription(filter: filter($0.0), qos: $0.1) }))
        harness.settle()
        _ = harness.takeInbox(token)
        return token
    }

    @Test func deliveryIsAtTheLowerOfPublishedAndGrantedQoS() {
        let harness = RouterHarness()
        let sub = Self.subscriber(harness, "sub", clean: true, ("q/#", .atLeastOnce))
        let pub = Self.connected(harness, "pub", clean: true)
        harness.send(pub, publish("q/a", "two", qos: .exactlyOnce, id: 1))
        harness.send(pub, publish("q/a", "zero", qos: .atMostOnce))
        harness.send(pub, publish("q/a", "one", qos: .atLeastOnce, id: 2))
        harness.settle()
        let got = harness.takeInbox(sub).publishes
        #expect(got.map(\.text) == ["two", "zero", "one"])
        #expect(got.map(\.qos) == [.atLeastOnce, .atMostOnce, .atLeastOnce])
        #expect(got.map(\.retain) == [false, false, false])
        #expect(got[1].packetID == 0)
        #expect(got[0].packetID != got[2].packetID)
    }

    @Test func overlappingSubscriptionsDeliverOneCopyAtTheHighestQoS() {
        let harness = RouterHarness()
        let sub = Self.subscriber(harness, "sub", clean: true, ("o/#", .atMostOnce), ("o/+", .exactlyOnce), ("o/x", .atLeastOnce))
        let pub = Self.connected(harness, "pub", clean: true)
        harness.send(pub, publish("o/x", "m", qos: .exactlyOnce, id: 1))
        harness.settle()
        let got = harness.takeInbox(sub).publishes
        #expect(got.count == 1)
        #expect(got.first?.qos == .exactlyOnce)
    }

    @Test func cleanSession0QueuesWhileOffline() {
        let harness = RouterHarness()
        let sub = Self.subscriber(harness, "keeper", clean: false, ("off/#", .atLeastOnce))
        harness.disconnect(sub)
        harness.settle()
        let pub = Self.connected(harness, "pub", clean: true)
        for index in 0..<3 { harness.send(pub, publish("off/\(index)", "m\(index)", qos: .atLeastOnce, id: UInt16(index + 1))) }
        harness.settle()
        let back = harness.connect("keeper", clean: false)
        harness.settle()
        let inbox = harness.takeInbox(back)
        #expect(inbox.first == .connack(sessionPresent: true, returnCode: .accepted))
        #expect(inbox.publishes.map(\.text) == ["m0", "m1", "m2"])
        #expect(inbox.publishes.allSatisfy { !$0.duplicate && $0.qos == .atLeastOnce })
        #expect(harness.violations.isEmpty)
    }

    @Test func cleanSession1KeepsNothing() {
        let harness = RouterHarness()
        let sub = Self.subscriber(harness, "fleeting", clean: true, ("off/#", .atLeastOnce))
        harness.disconnect(sub)
        harness.settle()
        let pub = Self.connected(harness, "pub", clean: true)
        harness.send(pub, publish("off/a", "lost", qos: .atLeastOnce, id: 1))
        harness.settle()
        for clean in [true, false] {
            let back = harness.connect("fleeting", clean: clean)
            harness.settle()
            #expect(harness.takeInbox(back) == [.connack(sessionPresent: false, returnCode: .accepted)])
            harness.disconnect(back)
            harness.settle()
        }
    }

    /// A subscriber with one QoS 1 delivery unacknowledged, one QoS 2 unacknowledged and one QoS 2 PUBREC'd.
    static func subscriberWithThreeFlights(_ harness: RouterHarness) -> (sub: ConnectionToken, qos1: Publish, qos2: Publish, released: Publish) {
        let sub = subscriber(harness, "sub", clean: false, ("r/#", .exactlyOnce))
        let pub = connected(harness, "pub", clean: true)
        harness.send(pub, publish("r/1", "one", qos: .atLeastOnce, id: 1))
        harness.send(pub, publish("r/2", "two", qos: .exactlyOnce, id: 2))
        harness.send(pub, publish("r/3", "three", qos: .exactlyOnce, id: 3))
        harness.settle()
        let got = harness.takeInbox(sub).publishes
        precondition(got.count == 3, "three deliveries")
        harness.send(sub, .pubrec(packetID: got[2].packetID))
        harness.settle()
        let released = harness.takeInbox(sub)
        precondition(released == [.pubrel(packetID: got[2].packetID)], "PUBREL after the PUBREC is recorded")
        return (sub, got[0], got[1], got[2])
    }

    @Test func reconnectRedeliversWithDupAndTheSamePacketIDs() {
        let harness = RouterHarness()
        let (sub, qos1, qos2, released) = Self.subscriberWithThreeFlights(harness)
        harness.drop(sub)
        harness.settle()
        let back = harness.connect("sub", clean: false)
        harness.settle()
        let inbox = harness.takeInbox(back)
        #expect(inbox.first == .connack(sessionPresent: true, returnCode: .accepted))
        let again = inbox.publishes
        #expect(again.map(\.text) == ["one", "two"])
        #expect(again.map(\.packetID) == [qos1.packetID, qos2.packetID])
        #expect(again.allSatisfy { $0.duplicate })
        #expect(inbox.contains(.pubrel(packetID: released.packetID)))
        harness.send(back, .puback(packetID: qos1.packetID))
        harness.send(back, .pubrec(packetID: qos2.packetID))
        harness.send(back, .pubcomp(packetID: released.packetID))
        harness.settle()
        #expect(harness.takeInbox(back) == [.pubrel(packetID: qos2.packetID)])
        harness.send(back, .pubcomp(packetID: qos2.packetID))
        harness.settle()
        harness.drop(back)
        harness.settle()
        let last = harness.connect("sub", clean: false)
        harness.settle()
        #expect(harness.takeInbox(last) == [.connack(sessionPresent: true, returnCode: .accepted)])
        #expect(harness.violations.isEmpty)
    }

    @Test(arguments: [false, true])
    func crashRedeliversQoS2WithTheSamePacketIDAndNeverLosesQoS1(keepUncommitted: Bool) {
        let harness = RouterHarness()
        let (_, _, qos2, released) = Self.subscriberWithThreeFlights(harness)
        harness.crash(keepUncommitted: keepUncommitted)
        harness.settle()
        let back = harness.connect("sub", clean: false)
        harness.settle()
        let inbox = harness.takeInbox(back)
        #expect(inbox.first == .connack(sessionPresent: true, returnCode: .accepted))
        let again = inbox.publishes
        #expect(again.filter { $0.text == "one" }.count == 1)
        #expect(again.first { $0.text == "one" }?.qos == .atLeastOnce)
        #expect(again.filter { $0.text == "two" }.map(\.packetID) == [qos2.packetID])
        #expect(again.first { $0.text == "two" }?.duplicate == true)
        #expect(!again.contains { $0.text == "three" })
        #expect(inbox.contains(.pubrel(packetID: released.packetID)))
        #expect(harness.violations.isEmpty)
    }

    @Test func aPublishRightAfterSubscribeIsRoutedByIt() {
        let harness = RouterHarness()
        let token = Self.connected(harness, "self", clean: true)
        harness.autoCommit = false
        harness.send(token, subscribe(1, ("loop/#", .atLeastOnce)))
        harness.send(token, publish("loop/a", "echo", qos: .atLeastOnce, id: 2))
        harness.settle()
        #expect(harness.takeInbox(token).isEmpty)
        harness.commitAll()
        harness.settle()
        harness.autoCommit = true
        harness.settle()
        let inbox = harness.takeInbox(token)
        #expect(inbox.first == .suback(packetID: 1, returnCodes: [.granted(.atLeastOnce)]))
        #expect(inbox.contains(.puback(packetID: 2)))
        #expect(inbox.publishes.map(\.text) == ["echo"])
    }

    @Test func denyListRefusesCoveredFiltersWith0x80() {
        let harness = RouterHarness(denyFilters: [filter("secret/#")])
        let token = Self.connected(harness, "nosy", clean: true)
        harness.send(token, subscribe(4, ("secret/+/x", .atLeastOnce), ("open/#", .atMostOnce), ("secret", .exactlyOnce), ("#", .atMostOnce)))
        harness.settle()
        #expect(harness.takeInbox(token) == [.suback(packetID: 4, returnCodes: [.failure, .granted(.atMostOnce), .failure, .granted(.atMostOnce)])])
        let pub = Self.connected(harness, "pub", clean: true)
        harness.send(pub, publish("secret/a/x", "hidden", qos: .atMostOnce))
        harness.settle()
        // "#" is granted: deny covers filters, not topics, so "#" still sees the topic.
        #expect(harness.takeInbox(token).publishes.map(\.text) == ["hidden"])
    }

    @Test func flightWindowHoldsAtMostFlightsMaxAndDeliversAllInOrder() {
        let harness = RouterHarness(flightsMax: 4, catchUpLimit: 3)
        let sub = Self.subscriber(harness, "slow", clean: false, ("w/#", .atLeastOnce))
        let pub = Self.connected(harness, "pub", clean: true)
        for index in 0..<20 { harness.send(pub, publish("w/\(index % 3)", "m\(index)", qos: .atLeastOnce, id: UInt16(index + 1))) }
        harness.settle()
        var received: [String] = []
        var outstanding: [UInt16] = []
        for _ in 0..<100 where received.count < 20 {
            let got = harness.takeInbox(sub).publishes
            received += got.map(\.text)
            outstanding += got.map(\.packetID)
            #expect(outstanding.count <= 4, "at most flightsMax unacknowledged")
            guard let first = outstanding.first else { break }
            outstanding.removeFirst()
            harness.send(sub, .puback(packetID: first))
            harness.settle()
        }
        #expect(received == (0..<20).map { "m\($0)" })
        #expect(harness.violations.isEmpty)
    }
    /// Replay runs partition by partition: the subscriber's partition (3) is replayed after the
    /// publisher's (0), so the session's cursors must come from the log, not from where replay is.
    @Test(arguments: [false, true])
    func crashNeverLosesQoS1WhenThePublisherPartitionReplaysFirst(offlineFirst: Bool) {
        let harness = RouterHarness()
        let subID = clientIDs("sub", in: 3, count: 1)[0]
        let sub = Self.subscriber(harness, subID, clean: false, ("c/#", .atLeastOnce))
        if offlineFirst {
            harness.drop(sub)
            harness.settle()
        }
        let pub = Self.connected(harness, clientIDs("pub", in: 0, count: 1)[0], clean: true)
        harness.send(pub, publish("c/1", "unacknowledged", qos: .atLeastOnce, id: 1))
        harness.settle()
        harness.crash(keepUncommitted: false)
        harness.settle()
        let back = harness.connect(subID, clean: false)
        harness.settle()
        #expect(harness.takeInbox(back).publishes.map(\.text) == ["unacknowledged"])
        #expect(harness.violations.isEmpty)
    }
    /// After a crash a session numbers its deliveries from 1 again; a packet ID whose QoS 2 flow
    /// completed is reused, and a second replay must still know the first message completed.
    @Test func qos2CompletedIsNotDeliveredAgainAfterItsPacketIDIsReusedAcrossCrashes() {
        let harness = RouterHarness()
        let subID = clientIDs("sub", in: 1, count: 1)[0]
        var sub = Self.subscriber(harness, subID, clean: false, ("e/#", .exactlyOnce))
        let pubID = clientIDs("pub", in: 2, count: 1)[0]
        var pub = Self.connected(harness, pubID, clean: true)
        harness.send(pub, publish("e/1", "first", qos: .exactlyOnce, id: 1))
        harness.settle()
        let first = harness.takeInbox(sub).publishes
        #expect(first.map(\.text) == ["first"])
        harness.send(sub, .pubrec(packetID: first[0].packetID))
        harness.settle()
        harness.send(sub, .pubcomp(packetID: first[0].packetID))
        harness.settle()
        harness.crash(keepUncommitted: false)
        harness.settle()
        sub = harness.connect(subID, clean: false)
        harness.settle()
        for packet in harness.takeInbox(sub) {
            if case .pubrel(let id) = packet { harness.send(sub, .pubcomp(packetID: id)) }
        }
        harness.settle()
        pub = Self.connected(harness, pubID, clean: true)
        harness.send(pub, publish("e/2", "second", qos: .exactlyOnce, id: 2))
        harness.settle()
        #expect(harness.takeInbox(sub).publishes.map(\.text) == ["second"])
        harness.crash(keepUncommitted: false)
        harness.settle()
        sub = harness.connect(subID, clean: false)
        harness.settle()
        let again = harness.takeInbox(sub).publishes
        #expect(again.map(\.text) == ["second"])
        #expect(again.allSatisfy { $0.duplicate })
        #expect(harness.violations.isEmpty)
    }
    /// A cursor record written while a PUBREC's record waits for its commit says "published"; a
    /// replay must not take the delivery back to PUBLISH after the PUBREL went out (seed 1002).
    @Test func cursorRecordWrittenBeforeThePubrecRecordCommitsDoesNotResendThePublish() {
        let harness = RouterHarness()
        let subID = clientIDs("sub", in: 2, count: 1)[0]
        let sub = Self.subscriber(harness, subID, clean: false, ("f/#", .exactlyOnce))
        let pub = Self.connected(harness, clientIDs("pub", in: 1, count: 1)[0], clean: true)
        harness.send(pub, publish("f/1", "one", qos: .atLeastOnce, id: 1))
        harness.send(pub, publish("f/2", "two", qos: .exactlyOnce, id: 2))
        harness.settle()
        let got = harness.takeInbox(sub).publishes
        #expect(got.map(\.text) == ["one", "two"])
        harness.autoCommit = false
        harness.send(sub, .puback(packetID: got[0].packetID))
        harness.send(sub, .pubrec(packetID: got[1].packetID))
        harness.tick()
        harness.commitAll()
        harness.settle()
        #expect(harness.takeInbox(sub) == [.pubrel(packetID: got[1].packetID)])
        harness.crash(keepUncommitted: false)
        harness.autoCommit = true
        harness.settle()
        let back = harness.connect(subID, clean: false)
        harness.settle()
        #expect(harness.takeInbox(back) == [.connack(sessionPresent: true, returnCode: .accepted), .pubrel(packetID: got[1].packetID)])
        #expect(harness.violations.isEmpty)
    }
}
