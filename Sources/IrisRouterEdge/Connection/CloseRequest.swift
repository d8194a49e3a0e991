/// The user outbound event `EdgeConnection.close(reason:)` sends down its channel's pipeline, so
/// that the close is ordered after every packet sent before it and runs on the event loop.
struct CloseRequest: Sendable {
    let reason: String
}
