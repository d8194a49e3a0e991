import IrisMQTT
import IrisRouter
import Testing

/// Connecting, takeover, inbound publishes and their acknowledgements, through `RouterHarness`.
@Suite struct ShardCoreSessionTests {
    @Test func connackSessionPresentOnlyForAKeptSession() {
        let harness = RouterHarness()
        let first = harness.connect("alice", clean: false)
        harness.settle()
        #expect(harness.takeInbox(first) == [.connack(sessionPresent: false, returnCode: .accepted)])
        harness.disconnect(first)
        harness.settle()
        let second = harness.connect("alice", clean: false)
        harness.settle()
        #expect(harness.takeInbox(second) == [.connack(sessionPresent: true, returnCode: .accepted)])
        harness.disconnect(second)
        harness.settle()
        let clean = harness.connect("alice", clean: true)
        harness.settle()
        #expect(harness.takeInbox(clean) == [.connack(sessionPresent: false, returnCode: .accepted)])
        harness.disconnect(clean)
        harness.settle()
        let afterClean = harness.connect("alice", clean: false)
        harness.settle()
        #expect(harness.takeInbox(afterClean) == [.connack(sessionPresent: false, returnCode: .accepted)])
        #expect(harness.violations.isEmpty)
    }

    @Test func connackWaitsForTheConnectRecord() {
        let harness = RouterHarness()
        harness.autoCommit = false
        let token = harness.connect("bob", clean: true)
        harness.settle()
        #expect(harness.takeInbox(token).isEmpty)
        harness.commitAll()
        harness.settle()
        #expect(harness.takeInbox(token) == [.connack(sessionPresent: false, returnCode: .accepted)])
    }

    @Test func takeoverClosesTheOlderConnectionAndTheNewerGetsTheSession() {
        let harness = RouterHarness()
        let old = harness.connect("carol", clean: false)
        harness.settle()
        harness.send(old, subscribe(1, ("t/#", .atLeastOnce)))
        harness.settle()
        _ = harness.takeInbox(old)
        let new = harness.connect("carol", clean: false)
        harness.settle()
        #expect(harness.isClosed(old))
        #expect(!harness.isClosed(new))
        #expect(harness.takeInbox(new) == [.connack(sessionPresent: true, returnCode: .accepted)])
        let publisher = harness.connect("pub", clean: true)
        harness.settle()
        harness.send(publisher, publish("t/x", "after takeover", qos: .atLeastOnce, id: 9))
        harness.settle()
        #expect(harness.takeInbox(new).publishes.map(\.text) == ["after takeover"])
        #expect(harness.takeInbox(old).isEmpty)
        #expect(harness.violations.isEmpty)
    }

    @Test func takeoverWhileBothConnectRecordsArePending() {
        let harness = RouterHarness()
        harness.autoCommit = false
        let old = harness.connect("dave", clean: false)
        let new = harness.connect("dave", clean: false)
        harness.commitAll()
        harness.settle()
        harness.commitAll()
        harness.settle()
        #expect(harness.isClosed(old))
        #expect(!harness.isClosed(new))
        #expect(harness.takeInbox(new) == [.connack(sessionPresent: true, returnCode: .accepted)])
    }

    @Test(arguments: [QoS.atLeastOnce, .exactlyOnce])
    func publishIsAcknowledgedOnlyAfterItsRecordCommits(qos: QoS) {
        let harness = RouterHarness()
        let token = harness.connect("erin", clean: true)
        harness.settle()
        _ = harness.takeInbox(token)
        harness.autoCommit = false
        harness.send(token, publish("a/b", "m", qos: qos, id: 7))
        harness.settle()
        #expect(harness.takeInbox(token).isEmpty)
        harness.commitAll()
        harness.settle()
        let expected: MQTTPacket = qos == .atLeastOnce ? .puback(packetID: 7) : .pubrec(packetID: 7)
        #expect(harness.takeInbox(token) == [expected])
        #expect(harness.violations.isEmpty)
    }

    @Test func qos0PublishIsStoredAndNotAcknowledged() {
        let harness = RouterHarness()
        let token = harness.connect("fay", clean: true)
        harness.settle()
        _ = harness.takeInbox(token)
        harness.send(token, publish("a/b", "m", qos: .atMostOnce))
        harness.settle()
        #expect(harness.takeInbox(token).isEmpty)
        #expect(harness.logs.allMessages.map(\.message.payload) == [Array("m".utf8)])
    }

    @Test func duplicateQoS2PublishBeforePubrelIsStoredOnce() {
        let harness = RouterHarness()
        let token = harness.connect("gus", clean: true)
        harness.settle()
        _ = harness.takeInbox(token)
        harness.autoCommit = false
        harness.send(token, publish("a/b", "once", qos: .exactlyOnce, id: 3))
        harness.send(token, publish("a/b", "once", qos: .exactlyOnce, id: 3, duplicate: true))
        harness.commitAll()
        harness.settle()
        harness.send(token, publish("a/b", "once", qos: .exactlyOnce, id: 3, duplicate: true))
        harness.commitAll()
        harness.settle()
        #expect(harness.logs.allMessages.count == 1)
        #expect(harness.takeInbox(token) == [.pubrec(packetID: 3), .pubrec(packetID: 3)])
        harness.send(token, .pubrel(packetID: 3))
        harness.commitAll()
        harness.settle()
        #expect(harness.takeInbox(token) == [.pubcomp(packetID: 3)])
        // After the release the packet ID is free: the same ID is a new message.
        harness.send(token, publish("a/b", "second", qos: .exactlyOnce, id: 3))
        harness.commitAll()
        harness.settle()
        #expect(harness.logs.allMessages.map(\.message.payload) == [Array("once".utf8), Array("second".utf8)])
        #expect(harness.violations.isEmpty)
    }

    @Test func unknownPubrelIsAnsweredWithPubcomp() {
        let harness = RouterHarness()
        let token = harness.connect("hal", clean: true)
        harness.settle()
        _ = harness.takeInbox(token)
        harness.send(token, .pubrel(packetID: 42))
        harness.settle()
        #expect(harness.takeInbox(token) == [.pubcomp(packetID: 42)])
    }

    @Test func qos2InboundDedupSurvivesReconnectAndCrash() {
        let harness = RouterHarness()
        var token = harness.connect("ivy", clean: false)
        harness.settle()
        harness.send(token, publish("a/b", "x", qos: .exactlyOnce, id: 5))
        harness.settle()
        #expect(harness.takeInbox(token).contains(.pubrec(packetID: 5)))
        harness.drop(token)
        harness.settle()
        token = harness.connect("ivy", clean: false)
        harness.settle()
        harness.send(token, publish("a/b", "x", qos: .exactlyOnce, id: 5, duplicate: true))
        harness.settle()
        #expect(harness.takeInbox(token) == [.connack(sessionPresent: true, returnCode: .accepted), .pubrec(packetID: 5)])
        harness.crash(keepUncommitted: false)
        harness.settle()
        token = harness.connect("ivy", clean: false)
        harness.settle()
        harness.send(token, publish("a/b", "x", qos: .exactlyOnce, id: 5, duplicate: true))
        harness.settle()
        harness.send(token, .pubrel(packetID: 5))
        harness.settle()
        #expect(harness.takeInbox(token) == [.connack(sessionPresent: true, returnCode: .accepted), .pubrec(packetID: 5), .pubcomp(packetID: 5)])
        #expect(harness.logs.allMessages.count == 1)
        #expect(harness.violations.isEmpty)
    }
    /// A client may send packets right after CONNECT, before CONNACK [MQTT-3.1.4]: a resent QoS 2
    /// PUBLISH of a resumed session is still a duplicate, and a PUBREL still releases.
    @Test func qos2ResendBeforeConnackOfAResumedSessionIsStoredOnce() {
        let harness = RouterHarness()
        let first = harness.connect("jay", clean: false)
        harness.settle()
        harness.send(first, publish("a/b", "x", qos: .exactlyOnce, id: 8))
        harness.settle()
        harness.drop(first)
        harness.settle()
        let second = harness.connect("jay", clean: false)
        harness.send(second, publish("a/b", "x", qos: .exactlyOnce, id: 8, duplicate: true))
        harness.send(second, .pubrel(packetID: 8))
        harness.settle()
        #expect(harness.takeInbox(second) == [.connack(sessionPresent: true, returnCode: .accepted), .pubrec(packetID: 8), .pubcomp(packetID: 8)])
        #expect(harness.logs.allMessages.count == 1)
        // Released: the same packet ID is a new message now, stored and acknowledged.
        harness.send(second, publish("a/b", "y", qos: .exactlyOnce, id: 8))
        harness.settle()
        #expect(harness.takeInbox(second) == [.pubrec(packetID: 8)])
        #expect(harness.logs.allMessages.map(\.message.payload) == [Array("x".utf8), Array("y".utf8)])
        #expect(harness.violations.isEmpty)
    }
}
