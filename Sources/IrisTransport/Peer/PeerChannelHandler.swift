import IrisReplication
import Logging
import NIOCore

/// One end of a peer connection after the preamble: exchanges HELLO frames, then hands every
/// message to the transport and lets the peer's `PeerLink` write on it (SPEC.md §9.5.6, §14.3).
final class PeerChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = PeerFrame

    /// Which side of the connection this is.
    enum Side {
        /// This node dialed `peer` (the lower ID dials the higher).
        case dialer(peer: NodeID)
        /// This node accepted the connection; the HELLO says who dialed.
        case acceptor
    }

    private let side: Side
    private unowned let transport: PeerTransport
    private var link: PeerLink?

    init(side: Side, transport: PeerTransport) {
        self.side = side
        self.transport = transport
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .dialer(let peer) = side { sendHello(on: context.channel, to: peer) }
        context.fireChannelActive()
    }

    /// The dialer's preamble and HELLO, or the acceptor's HELLO in answer.
    private func sendHello(on channel: any Channel, to peer: NodeID) {
        var bytes: [UInt8] = []
        if case .dialer = side { bytes = PeerWire.preamble }
        bytes += PeerWire.encodeHello(PeerFrameHeader(clusterID: transport.receiver.clusterID, from: transport.nodeID, to: peer))
        channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let link else {
            hello(frame, context: context)
            return
        }
        switch frame.body {
        case .hello:
            refuse(context, "a second HELLO from node \(link.peer)")
        case .messages(let messages):
            transport.received(messages, from: link.peer)
        }
    }

    private func hello(_ frame: PeerFrame, context: ChannelHandlerContext) {
        guard case .hello = frame.body else {
            refuse(context, "messages before HELLO")
            return
        }
        let from = frame.header.from
        switch side {
        case .dialer(let peer):
            guard from == peer else {
                refuse(context, "dialed node \(peer) but node \(from) answered")
                return
            }
        case .acceptor:
            guard from < transport.nodeID else {
                refuse(context, "node \(from) dialed, but the node with the lower ID dials (SPEC.md §14.3)")
                return
            }
        }
        guard let peerLink = transport.link(to: from) else {
            refuse(context, "node \(from) is not a peer")
            return
        }
        let channel = context.channel
        transport.verifyIdentity(of: from, on: channel).whenComplete { [self] result in
            switch result {
            case .failure(let error):
                transport.logger.warning("peer connection from \(channel.remoteAddress?.description ?? "?") refused: \(error)")
                channel.close(promise: nil)
            case .success:
                if case .acceptor = side { sendHello(on: channel, to: from) }
                link = peerLink
                peerLink.attach(channel)
                transport.logger.info("connected to node \(from)")
            }
        }
    }

    private func refuse(_ context: ChannelHandlerContext, _ reason: String) {
        transport.logger.warning("peer connection \(context.channel.remoteAddress?.description ?? "?") closed: \(reason)")
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        link?.writabilityChanged(on: context.channel)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        link?.detach(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        transport.logger.warning("peer connection \(context.channel.remoteAddress?.description ?? "?") closed: \(error)")
        context.close(promise: nil)
    }
}
