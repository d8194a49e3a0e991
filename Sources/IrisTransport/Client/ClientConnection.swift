import IrisClientProtocol
import Logging
import NIOCore

/// Sets up the server side of a client connection (SPEC.md §12) once its preamble was read.
public enum ClientConnection {
    /// Installs the request handler at the end of `channel`'s pipeline: it decodes frames,
    /// calls `service` for each request (at most `configuration.inFlightRequestsMax` at once),
    /// writes the answers, runs FOLLOWs, and closes the connection on any malformed frame
    /// with a line on `logger`.
    public static func configure(
        channel: any Channel, service: any ClientService, logger: Logger,
        configuration: ClientConnectionConfiguration = ClientConnectionConfiguration()
    ) -> EventLoopFuture<Void> {
        channel.eventLoop.submit {
            let handler = ClientRequestHandler(service: service, logger: logger, configuration: configuration)
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }
}
