import IrisClientProtocol
import NIOCore

/// Why a request on a connection got no answer.
enum ConnectionFailure: Error, CustomStringConvertible {
    case lost(String)
    case timedOut

    var description: String {
        switch self {
        case .lost(let reason): "connection lost (\(reason))"
        case .timedOut: "no answer within the request timeout"
        }
    }
}

/// The client end of a connection: assigns request IDs, writes requests, decodes answer
/// frames and hands each to the request (or FOLLOW) with its ID. A malformed frame closes the
/// connection; every request still waiting then fails. Confined to the channel's event loop.
final class AnswerRouter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limits: ClientProtocolLimits
    private var context: ChannelHandlerContext?
    private var buffer = ByteBuffer()
    private var nextRequestID: UInt64 = 1
    private var pending: [UInt64: (promise: EventLoopPromise<ClientAnswer>, timer: Scheduled<Void>)] = [:]
    private var follows: [UInt64: AsyncStream<ClientAnswer>.Continuation] = [:]
    private var failure: String?

    init(limits: ClientProtocolLimits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// Sends `request`; `promise` gets its answer, or fails after `timeout` or when the
    /// connection is lost.
    func send(_ request: ClientRequest, promise: EventLoopPromise<ClientAnswer>, timeout: TimeAmount) {
        guard let context, failure == nil else {
            promise.fail(ConnectionFailure.lost(failure ?? "closed"))
            return
        }
        let requestID = take()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(in: timeout) { () -> Void in
            handler.value.pending.removeValue(forKey: requestID)?.promise.fail(ConnectionFailure.timedOut)
        }
        pending[requestID] = (promise, timer)
        write(ClientFrame(requestID: requestID, message: request))
    }

    /// Sends a FOLLOW whose pushed answers go to `answers`, which finishes when the
    /// connection is lost; returns its request ID for the acknowledgements.
    func follow(_ request: FollowRequest, answers: AsyncStream<ClientAnswer>.Continuation) -> UInt64 {
        let requestID = take()
        guard failure == nil, context != nil else {
            answers.finish()
            return requestID
        }
        follows[requestID] = answers
        write(ClientFrame(requestID: requestID, message: .follow(request)))
        return requestID
    }

    /// Asks for the next batch of the FOLLOW `requestID`.
    func acknowledge(_ requestID: UInt64) {
        write(ClientFrame(requestID: requestID, message: .followAck))
    }

    private func take() -> UInt64 {
        defer { nextRequestID &+= 1 }
        return nextRequestID
    }

    private func write(_ frame: ClientFrame<ClientRequest>) {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: ClientFrameCodec.encode(frame))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer.writeBuffer(&bytes)
        while failure == nil, let lengthField = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt32.self) {
            let frame: ClientFrame<ClientAnswer>
            do throws(ClientProtocolError) {
                let size = try ClientFrameCodec.frameSize(lengthField: lengthField, limits: limits)
                guard let whole = buffer.readBytes(length: size) else { break }
                frame = try ClientFrameCodec.decodeAnswer(whole, limits: limits)
            } catch {
                fail("malformed answer: \(error)")
                context.close(promise: nil)
                return
            }
            route(frame)
        }
        if buffer.readerIndex > 1 << 16 { buffer.discardReadBytes() }
    }

    private func route(_ frame: ClientFrame<ClientAnswer>) {
        if let entry = pending.removeValue(forKey: frame.requestID) {
            entry.timer.cancel()
            entry.promise.succeed(frame.message)
        } else if let follow = follows[frame.requestID] {
            follow.yield(frame.message)
            if case .records = frame.message {} else { follows.removeValue(forKey: frame.requestID)?.finish() }
        }
        // Anything else answers a request that already timed out: dropped.
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("closed by the node")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("\(error)")
        context.close(promise: nil)
    }

    private func fail(_ reason: String) {
        if failure == nil { failure = reason }
        let waiting = pending
        pending = [:]
        for entry in waiting.values {
            entry.timer.cancel()
            entry.promise.fail(ConnectionFailure.lost(reason))
        }
        let streams = follows
        follows = [:]
        for stream in streams.values { stream.finish() }
    }
}
