import Logging
import NIOCore

/// The first handler of an accepted connection: reads the 8-byte preamble, asks `configure`
/// to install the pipeline for that kind of connection, then removes itself and passes on
/// every byte that followed the preamble. An unknown preamble closes the connection with a
/// log line (SPEC.md §12.1).
public final class ConnectionPreambleHandler: ChannelInboundHandler, RemovableChannelHandler {
    /// Bytes in.
    public typealias InboundIn = ByteBuffer
    /// The bytes after the preamble, passed on once the pipeline is configured.
    public typealias InboundOut = ByteBuffer
    /// Installs the handlers for a connection of the given kind after this one; the preamble
    /// handler removes itself when the future succeeds and closes the connection when it fails.
    public typealias Configure = @Sendable (ConnectionKind, any Channel) -> EventLoopFuture<Void>

    /// Bytes a client may send after its preamble before the pipeline is configured.
    static let bufferedBytesMax = 1 << 20

    private let configure: Configure
    private let logger: Logger
    private var buffered: ByteBuffer?
    private var configuring = false

    /// A handler that calls `configure` once the preamble is read; `logger` gets one line per
    /// refused connection.
    public init(logger: Logger, configure: @escaping Configure) {
        self.logger = logger
        self.configure = configure
    }

    /// Buffers bytes until the preamble is complete, then dispatches.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if buffered == nil { buffered = bytes } else { buffered!.writeBuffer(&bytes) }
        guard let buffered else { return }
        if buffered.readableBytes > Self.bufferedBytesMax {
            refuse(context, "sent \(buffered.readableBytes) bytes before its connection was set up")
            return
        }
        guard !configuring, buffered.readableBytes >= ConnectionPreamble.byteCount else { return }
        let preamble = self.buffered!.readBytes(length: ConnectionPreamble.byteCount)!
        guard let kind = ConnectionPreamble.kind(of: preamble) else {
            refuse(context, "unknown preamble \(preamble.map { String($0, radix: 16) }) (expected \"IRSC\" or \"IRSP\" version 1)")
            return
        }
        configuring = true
        configure(kind, context.channel).hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success:
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            case .failure(let error):
                self.refuse(context, "its \(kind) pipeline could not be set up: \(error)")
            }
        }
    }

    /// Passes on what followed the preamble to the handlers `configure` installed.
    public func handlerRemoved(context: ChannelHandlerContext) {
        if let buffered, buffered.readableBytes > 0 {
            self.buffered = nil
            context.fireChannelRead(wrapInboundOut(buffered))
            context.fireChannelReadComplete()
        }
    }

    private func refuse(_ context: ChannelHandlerContext, _ reason: String) {
        logger.warning("closing connection from \(context.remoteAddress?.description ?? "an unknown address"): \(reason)")
        buffered = nil
        context.close(promise: nil)
    }
}
