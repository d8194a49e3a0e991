/// Something a `TimingWheel` files by deadline: a connection with a keep-alive or a connect timeout.
protocol TimingWheelMember: AnyObject {
    /// Where the wheel filed this member, or nil when it is not filed. Only the wheel writes it.
    var wheelPosition: TimingWheelPosition? { get set }

    /// The first tick at which the member is due, or nil when it has no deadline. It may move
    /// later without telling the wheel (activity does that): the wheel looks again when the old
    /// deadline comes and files the member anew. A deadline that moves earlier must be re-filed.
    var dueTick: UInt64? { get }
}

/// A member's slot in the wheel and its index in that slot, so removal is O(1).
struct TimingWheelPosition: Equatable {
    var slot: Int32
    var index: Int32
}
