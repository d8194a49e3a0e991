/// The user outbound event `EdgeConnection.resumeReading()` sends down its channel's pipeline, so
/// that the packets held back while reading was paused are handed on from the event loop.
struct ResumeReadingRequest: Sendable {}
