import Metrics
import IrisTransport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// `--metrics HOST:PORT`: a minimal HTTP server answering `GET /metrics` with every metric in
/// Prometheus text format (SPEC.md §14.6). It bootstraps swift-metrics with a Prometheus
/// registry, so IrisLog's metrics and the node's land in it.
package final class MetricsServer: Service, Sendable {
    let endpoint: Endpoint
    let server: NodeServer
    let logger: Logger
    let registry: PrometheusCollectorRegistry

    /// Makes swift-metrics record into a new Prometheus registry, and returns it. Call it once,
    /// before the node opens its logs, so that every metric lands in it.
    package static func bootstrapRegistry() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// A metrics server for `server` on `endpoint`, emitting `registry`; binds on `run()`.
    package init(endpoint: Endpoint, registry: PrometheusCollectorRegistry, node server: NodeServer, logger: Logger) {
        self.endpoint = endpoint
        self.server = server
        self.logger = logger
        self.registry = registry
    }

    /// Serves until graceful shutdown.
    package func run() async throws {
        let bootstrap = ServerBootstrap(group: server.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsHTTPHandler(render: { [self] in render() }))
                }
            }
        let channel = try await bootstrap.bind(host: endpoint.host, port: endpoint.port).get()
        logger.info("metrics on http://\(endpoint)/metrics")
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }

    private func render() -> [UInt8] {
        server.sampleGauges()
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// Answers `GET /metrics`; 404 for anything else.
private final class MetricsHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let render: @Sendable () -> [UInt8]

    init(render: @escaping @Sendable () -> [UInt8]) { self.render = render }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data) else { return }
        let found = request.method == .GET && request.uri.split(separator: "?").first == "/metrics"
        let body = found ? render() : Array("not found: try /metrics\n".utf8)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4" : "text/plain")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: request.version, status: found ? .ok : .notFound, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [context] _ in context.close(promise: nil) }
    }
}
