import IrisLog
import IrisMQTT
@testable import IrisRouter
import Testing

/// Retained messages and wills, through `RouterHarness`.
@Suite struct ShardCoreRetainedWillTests {
    @Test func newSubscriptionGetsRetainedWithRetainSetAndLiveForwardingClearsIt() {
        let harness = RouterHarness()
        let pub = ShardCoreDeliveryTests.connected(harness, "pub", clean: true)
        harness.send(pub, publish("ret/a", "old", qos: .atLeastOnce, id: 1, retain: true))
        harness.send(pub, publish("ret/a", "new", qos: .atLeastOnce, id: 2, retain: true))
        harness.send(pub, publish("ret/b", "b", qos: .atMostOnce, retain: true))
        harness.send(pub, publish("ret/c", "not retained", qos: .atMostOnce))
        harness.settle()
        let sub = ShardCoreDeliveryTests.connected(harness, "sub", clean: true)
        harness.send(sub, subscribe(1, ("ret/#", .exactlyOnce)))
        harness.settle()
        let inbox = harness.takeInbox(sub)
        #expect(inbox.first == .suback(packetID: 1, returnCodes: [.granted(.exactlyOnce)]))
        let retained = inbox.publishes
        #expect(retained.map(\.text) == ["new", "b"])
        #expect(retained.allSatisfy { $0.retain })
        #expect(retained.map(\.qos) == [.atLeastOnce, .atMostOnce])
        harness.send(pub, publish("ret/a", "live", qos: .atLeastOnce, id: 3, retain: true))
        harness.settle()
        let live = harness.takeInbox(sub).publishes
        #expect(live.map(\.text) == ["live"])
        #expect(live.map(\.retain) == [false])
    }

    @Test func emptyRetainedPayloadClears() {
        let harness = RouterHarness()
        // Publishers in different partitions: the clear must hide a message stored elsewhere.
        let first = ShardCoreDeliveryTests.connected(harness, clientIDs("pub", in: 1, count: 1)[0], clean: true)
        let second = ShardCoreDeliveryTests.connected(harness, clientIDs("pub", in: 2, count: 1)[0], clean: true)
        harness.send(first, publish("gone", "kept for a while", qos: .atMostOnce, retain: true))
        harness.settle()
        harness.send(second, publish("gone", "", qos: .atMostOnce, retain: true))
        harness.send(second, publish("stays", "here", qos: .atMostOnce, retain: true))
        harness.settle()
        let sub = ShardCoreDeliveryTests.connected(harness, "sub", clean: true)
        harness.send(sub, subscribe(1, ("#", .atMostOnce)))
        harness.settle()
        #expect(harness.takeInbox(sub).publishes.map(\.text) == ["here"])
    }

    static let will = Will(topic: topic("wills/w"), payload: Array("bye".utf8), qos: .atLeastOnce, retain: false)

    static func willWatcher(_ harness: RouterHarness) -> ConnectionToken {
        ShardCoreDeliveryTests.subscriber(harness, "watcher", clean: true, ("wills/#", .atLeastOnce))
    }

    @Test func willIsPublishedOnAbruptClose() {
        let harness = RouterHarness()
        let watcher = Self.willWatcher(harness)
        let token = harness.connect("mortal", clean: true, will: Self.will)
        harness.settle()
        harness.drop(token)
        harness.settle()
        #expect(harness.takeInbox(watcher).publishes.map(\.text) == ["bye"])
    }

    @Test func connectionsClosedTogetherPublishTheirWillsInOrderExceptAfterDisconnect() {
        let harness = RouterHarness()
        let watcher = Self.willWatcher(harness)
        let names = clientIDs("mass", in: 1, count: 6) + clientIDs("other", in: 2, count: 2)
        let tokens = names.map { name in
            harness.connect(name, clean: true, will: Will(topic: topic("wills/\(name)"), payload: Array(name.utf8), qos: .atLeastOnce, retain: false))
        }
        harness.settle()
        harness.dropTogether(tokens, polite: [tokens[2]])
        harness.settle()
        let wills = harness.takeInbox(watcher).publishes.map(\.text)
        let expected = names.enumerated().filter { $0.offset != 2 }.map(\.element)
        #expect(wills.sorted() == expected.sorted())
        // Within a partition, in the order the connections closed.
        #expect(wills.filter { $0.hasPrefix("mass") } == expected.filter { $0.hasPrefix("mass") })
        #expect(harness.shards.reduce(0) { $0 + $1.connectionCount } == 1)
        #expect(harness.shards.reduce(0) { $0 + $1.sessionCount } == 1)
    }

    @Test func closingAppendsMergeUpToTheLimitAndKeepOtherActionsInPlace() {
        func append(_ count: Int, _ tag: String) -> ShardAction {
            .append((0..<count).map { Record(value: [UInt8($0)], key: Array(tag.utf8)) }, connections: [])
        }
        let token = ConnectionToken(7)
        let merged = ShardCore.mergingAppends(
            [append(2, "a"), append(2, "b"), .close(token, reason: "x"), append(3, "c"), append(2, "d"), append(1, "e")], recordsMax: 4)
        let shapes = merged.map { action -> String in
            switch action {
            case .append(let records, _): return records.map { String(decoding: $0.key!, as: UTF8.self) }.joined()
            default: return "close"
            }
        }
        #expect(shapes == ["aabb", "close", "ccc", "dde"])
    }

    @Test func willIsPublishedWhenTheShardClosesTheConnection() {
        let harness = RouterHarness()
        let watcher = Self.willWatcher(harness)
        let token = harness.connect("rude", clean: true, will: Self.will)
        harness.settle()
        harness.send(token, .connack(sessionPresent: false, returnCode: .accepted))
        harness.settle()
        #expect(harness.isClosed(token))
        #expect(harness.takeInbox(watcher).publishes.map(\.text) == ["bye"])
    }

    @Test func noWillAfterDisconnect() {
        let harness = RouterHarness()
        let watcher = Self.willWatcher(harness)
        let token = harness.connect("polite", clean: true, will: Self.will)
        harness.settle()
        harness.disconnect(token)
        harness.settle()
        #expect(harness.takeInbox(watcher).isEmpty)
        #expect(harness.logs.allMessages.isEmpty)
    }

    @Test func noWillOnTakeover() {
        let harness = RouterHarness()
        let watcher = Self.willWatcher(harness)
        _ = harness.connect("twin", clean: false, will: Self.will)
        harness.settle()
        _ = harness.connect("twin", clean: false)
        harness.settle()
        #expect(harness.takeInbox(watcher).isEmpty)
    }

    @Test(arguments: [false, true])
    func willIsPublishedAfterCrashRecovery(keepUncommitted: Bool) {
        let harness = RouterHarness()
        _ = harness.connect("mortal", clean: false, will: Self.will)
        _ = harness.connect("polite", clean: false, will: Self.will)
        harness.settle()
        let polite = harness.connections.values.first { $0.clientID == "polite" }!.token
        harness.disconnect(polite)
        harness.settle()
        harness.crash(keepUncommitted: keepUncommitted)
        harness.settle()
        let wills = harness.logs.allMessages.filter { $0.message.topic.value == "wills/w" }
        #expect(wills.count == 1)
        #expect(harness.logs.decoded(wills[0].reference.partition, wills[0].reference.offset)?.clientID == "mortal")
        // A second crash does not publish it again: the closed record came with it.
        harness.crash(keepUncommitted: keepUncommitted)
        harness.settle()
        #expect(harness.logs.allMessages.filter { $0.message.topic.value == "wills/w" }.count == 1)
    }
}
