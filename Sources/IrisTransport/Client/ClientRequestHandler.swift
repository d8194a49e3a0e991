import IrisClientProtocol
import Logging
import NIOCore

/// The server end of a client connection (SPEC.md §12): decodes request frames, runs each
/// request as a task against the `ClientService`, writes its answer. Frames are decoded only
/// while fewer than `inFlightRequestsMax` requests are in flight; at the bound the handler
/// holds back the channel's reads, so neither tasks nor buffered bytes grow without bound.
/// A request stays in flight until its answer has been written to the socket, which bounds
/// the outbound buffer too. Confined to the channel's event loop.
final class ClientRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: any ClientService
    private var logger: Logger
    private let configuration: ClientConnectionConfiguration
    private var context: ChannelHandlerContext?
    private var buffer = ByteBuffer()
    private var inFlight = 0
    private var readHeld = false
    private var closed = false
    private var nextTaskNumber: UInt64 = 0
    private var tasks: [UInt64: Task<Void, Never>] = [:]
    private var followAcks: [UInt64: AsyncStream<Void>.Continuation] = [:]

    init(service: any ClientService, logger: Logger, configuration: ClientConnectionConfiguration) {
        self.service = service
        self.logger = logger
        self.configuration = configuration
    }

    /// Requests in flight now; never above `configuration.inFlightRequestsMax`.
    var inFlightCount: Int { inFlight }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        logger[metadataKey: "client"] = "\(context.remoteAddress?.description ?? "?")"
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        shutDown()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        shutDown()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.info("client connection failed: \(error)")
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer.writeBuffer(&bytes)
        decodeFrames()
    }

    /// Holds the read back while at the in-flight bound (backpressure on the socket).
    func read(context: ChannelHandlerContext) {
        if inFlight >= configuration.inFlightRequestsMax {
            readHeld = true
        } else {
            context.read()
        }
    }

    private func decodeFrames() {
        while !closed, inFlight < configuration.inFlightRequestsMax, let lengthField = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt32.self) {
            let request: ClientFrame<ClientRequest>
            do throws(ClientProtocolError) {
                let size = try ClientFrameCodec.frameSize(lengthField: lengthField, limits: configuration.limits)
                guard let bytes = buffer.readBytes(length: size) else { break }
                request = try ClientFrameCodec.decodeRequest(bytes, limits: configuration.limits)
            } catch {
                logger.warning("closing client connection: \(error)")
                closed = true
                context?.close(promise: nil)
                return
            }
            dispatch(request)
        }
        if buffer.readerIndex > 1 << 16 { buffer.discardReadBytes() }
    }

    private func dispatch(_ frame: ClientFrame<ClientRequest>) {
        let service = self.service
        let configuration = self.configuration
        switch frame.message {
        case .followAck:
            followAcks[frame.requestID]?.yield()
            return
        case .append(let request):
            start(frame.requestID) { await service.append(request) }
        case .read(var request):
            request.waitMilliseconds = min(request.waitMilliseconds, configuration.readWaitMillisecondsMax)
            request.maxBytes = min(request.maxBytes, configuration.readBytesMax)
            let capped = request
            start(frame.requestID) { await service.read(capped) }
        case .status:
            start(frame.requestID) { .status(await service.status()) }
        case .follow(let request):
            // A second FOLLOW with the same ID ends the first: acks could not tell them apart.
            followAcks.removeValue(forKey: frame.requestID)?.finish()
            let (acks, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            followAcks[frame.requestID] = continuation
            let follow = ClientFollow(request: request, service: service, configuration: configuration)
            let handler = NIOLoopBound(self, eventLoop: context!.eventLoop)
            let requestID = frame.requestID
            start(requestID) {
                await follow.run(acks: acks) { answer in
                    handler.eventLoop.execute { handler.value.write(ClientFrame(requestID: requestID, message: answer), completing: false) }
                }
            }
        }
    }

    /// Runs `work` as a task counted in flight until its answer (if any) is written.
    private func start(_ requestID: UInt64, _ work: @escaping @Sendable () async -> ClientAnswer?) {
        guard let context else { return }
        inFlight += 1
        let number = nextTaskNumber
        nextTaskNumber += 1
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        tasks[number] = Task {
            let answer = await work()
            handler.eventLoop.execute {
                let handler = handler.value
                handler.tasks[number] = nil
                if let answer {
                    handler.write(ClientFrame(requestID: requestID, message: answer), completing: true)
                } else {
                    handler.requestCompleted()
                }
            }
        }
    }

    /// Writes an answer; with `completing`, its request leaves the in-flight count once the
    /// bytes are written.
    private func write(_ frame: ClientFrame<ClientAnswer>, completing: Bool) {
        guard let context, !closed else { return }
        let bytes = context.channel.allocator.buffer(bytes: ClientFrameCodec.encode(frame))
        guard completing else {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
            return
        }
        if case .records = frame.message {} else { followAcks.removeValue(forKey: frame.requestID)?.finish() }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in handler.value.requestCompleted() }
    }

    private func requestCompleted() {
        inFlight -= 1
        guard !closed, let context else { return }
        decodeFrames()
        if readHeld && inFlight < configuration.inFlightRequestsMax {
            readHeld = false
            context.read()
        }
    }

    private func shutDown() {
        closed = true
        for continuation in followAcks.values { continuation.finish() }
        followAcks = [:]
        for task in tasks.values { task.cancel() }
    }
}
