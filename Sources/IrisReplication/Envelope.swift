import IrisLog

/// A message with its sender and destination.
public struct Envelope: Hashable, Sendable {
    /// The sender. The core drops messages from non-members (`MessageDefect`).
    public var from: NodeID
    /// The destination; a replica drops a message not addressed to it.
    public var to: NodeID
    /// The message itself.
    public var message: Message

    /// A message from `from` to `to`.
    public init(from: NodeID, to: NodeID, message: Message) {
        self.from = from
        self.to = to
        self.message = message
    }
}
