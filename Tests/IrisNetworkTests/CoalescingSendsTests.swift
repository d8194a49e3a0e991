import IrisLog
import IrisMQTT
import IrisRouter
import Testing

@testable import IrisDaemon

/// `RouterShard.coalescingSends`: one send per connection for what one event decided.
@Suite struct CoalescingSendsTests {
    private let a = ConnectionToken(1)
    private let b = ConnectionToken(2)

    private func ack(_ id: UInt16) -> MQTTPacket { .puback(packetID: id) }

    @Test func sendsToOneConnectionJoinItsFirstSendInOrder() {
        let append = ShardAction.append([Record(value: [1])], connections: [])
        let actions: [ShardAction] = [.send(a, [ack(1)]), .send(b, [ack(2)]), append, .send(a, [ack(3), ack(4)]), .send(b, [ack(5)])]
        #expect(RouterShard.coalescingSends(actions) == [.send(a, [ack(1), ack(3), ack(4)]), .send(b, [ack(2), ack(5)]), append])
    }

    @Test func aSendNeverMovesBeforeItsConnectionsClose() {
        let actions: [ShardAction] = [.send(a, [ack(1)]), .close(a, reason: "x"), .send(a, [ack(2)]), .send(b, [ack(3)]), .send(a, [ack(4)])]
        #expect(RouterShard.coalescingSends(actions) == [.send(a, [ack(1)]), .close(a, reason: "x"), .send(a, [ack(2), ack(4)]), .send(b, [ack(3)])])
    }

    @Test func aCloseOfAnotherConnectionDoesNotSplitSends() {
        let actions: [ShardAction] = [.send(a, [ack(1)]), .close(b, reason: "y"), .send(a, [ack(2)])]
        #expect(RouterShard.coalescingSends(actions) == [.send(a, [ack(1), ack(2)]), .close(b, reason: "y")])
    }
}
