import Foundation
import IrisReplication
import IrisTransport
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A fresh directory under the system temp folder with a minted TLS directory in `tls/`,
/// removed by `cleanup()`.
struct TLSTestDirectory {
    /// The temp folder.
    let root: String
    /// `root/tls`, minted for nodes 1, 2, 3 and hosts 127.0.0.1, localhost unless `mint` is false.
    let tls: TLSDirectory

    init(mint: Bool = true) throws {
        var template = Array((NSTemporaryDirectory() + "iris-tls-test-XXXXXX").utf8CString)
        let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard result != nil else { throw TLSTestFailure("mkdtemp failed: errno \(errno)") }
        root = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        tls = TLSDirectory(path: root + "/tls")
        if mint {
            try DevelopmentCertificates.mint(directory: tls.path, nodes: [NodeID(1), NodeID(2), NodeID(3)], hosts: ["127.0.0.1", "localhost"])
        }
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: root) }

    /// Copies a file of the TLS directory over another one.
    func copy(_ source: String, to destination: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        try data.write(to: URL(fileURLWithPath: destination))
    }
}

/// A test's own failure.
struct TLSTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Every wait in these tests ends after this long at the latest.
let tlsTestTimeout = TimeAmount.seconds(10)

/// `future`'s value, or a `TLSTestFailure` once `tlsTestTimeout` has passed.
func tlsAwait<Value: Sendable>(_ future: EventLoopFuture<Value>, _ what: String) async throws -> Value {
    let bounded = future.eventLoop.makePromise(of: Value.self)
    future.cascade(to: bounded)
    let timer = future.eventLoop.scheduleTask(in: tlsTestTimeout) { bounded.fail(TLSTestFailure("timed out waiting for \(what)")) }
    defer { timer.cancel() }
    return try await bounded.futureResult.get()
}

/// The connection closed before the awaited event.
struct TLSTestConnectionClosed: Error {}

/// Completes `promise` when the TLS handshake completes, fails it with the first error or when
/// the connection closes first.
final class TLSHandshakeObserver: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let promise: EventLoopPromise<Void>

    init(_ promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { promise.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TLSTestConnectionClosed())
        context.fireChannelInactive()
    }
}

/// Writes back whatever it reads.
final class TLSEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }
}

/// Collects `count` bytes and completes `promise` with them; fails it when the connection
/// closes or errs first.
final class TLSByteCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let count: Int
    private let promise: EventLoopPromise<[UInt8]>
    private var bytes: [UInt8] = []

    init(count: Int, promise: EventLoopPromise<[UInt8]>) {
        self.count = count
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        if bytes.count >= count { promise.succeed(bytes) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TLSTestConnectionClosed())
        context.fireChannelInactive()
    }
}

/// A TLS echo server on 127.0.0.1, port 0. `firstConnection` completes with the first accepted
/// channel once its handshake completed, or fails with the handshake's error.
struct TLSEchoServer {
    let channel: any Channel
    let firstConnection: EventLoopFuture<any Channel>
    var port: Int { channel.localAddress?.port ?? 0 }

    init(group: any EventLoopGroup, context: NIOSSLContext) async throws {
        let first = group.next().makePromise(of: (any Channel).self)
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let handshake = channel.eventLoop.makePromise(of: Void.self)
                handshake.futureResult.map { channel }.cascade(to: first)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(TLSHandshakeObserver(handshake))
                    try channel.pipeline.syncOperations.addHandler(TLSEchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        firstConnection = first.futureResult
    }
}

/// A TLS client connection to 127.0.0.1:`port` that collects `expectedBytes` bytes.
struct TLSTestClient {
    let channel: any Channel
    let handshake: EventLoopFuture<Void>
    let received: EventLoopFuture<[UInt8]>

    init(group: any EventLoopGroup, port: Int, context: NIOSSLContext, expectedBytes: Int) async throws {
        let loop = group.next()
        let handshakePromise = loop.makePromise(of: Void.self)
        let receivedPromise = loop.makePromise(of: [UInt8].self)
        channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(TLSHandshakeObserver(handshakePromise))
                    try channel.pipeline.syncOperations.addHandler(TLSByteCollector(count: expectedBytes, promise: receivedPromise))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        handshake = handshakePromise.futureResult
        received = receivedPromise.futureResult
    }

    /// Sends `bytes`.
    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }
}
