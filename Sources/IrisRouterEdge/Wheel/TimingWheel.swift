/// A hashed timing wheel: deadlines counted in ticks, filed into `slotCount` slots by tick
/// modulo the slot count (ZooKeeper's and Netty's idle-connection design). Filing, re-filing and
/// removing are O(1); a tick looks only at the members filed in its slot. A member whose deadline
/// lies more than a revolution away stays in its slot and is looked at once per revolution.
///
/// The wheel never reads a clock: its owner calls `advance()` once per tick. Deadlines are never
/// early: a member is returned by the `advance()` whose new `tick` is at or past its `dueTick`.
/// Not thread-safe; the edge keeps one per event loop, confined to it.
struct TimingWheel<Member: TimingWheelMember> {
    private var slots: [[Member]]
    private var scratch: [Member] = []
    private let mask: UInt64

    /// Ticks advanced so far.
    private(set) var tick: UInt64 = 0

    /// Members filed now.
    private(set) var count = 0

    /// A wheel of `slotCount` slots (a power of two, at least 2).
    init(slotCount: Int) {
        precondition(slotCount >= 2 && slotCount & (slotCount - 1) == 0, "slot count \(slotCount) is not a power of two >= 2")
        slots = Array(repeating: [], count: slotCount)
        mask = UInt64(slotCount - 1)
    }

    /// Files `member` by its current `dueTick` (moving it if it was filed); a member without a
    /// deadline leaves the wheel. A deadline already passed is due at the next `advance()`.
    mutating func file(_ member: Member) {
        remove(member)
        guard let due = member.dueTick else { return }
        let slot = Int(max(due, tick + 1) & mask)
        member.wheelPosition = TimingWheelPosition(slot: Int32(slot), index: Int32(slots[slot].count))
        slots[slot].append(member)
        count += 1
    }

    /// Takes `member` out of the wheel; nothing happens if it is not filed.
    mutating func remove(_ member: Member) {
        guard let position = member.wheelPosition else { return }
        let slot = Int(position.slot)
        let index = Int(position.index)
        precondition(slots[slot][index] === member, "timing wheel position \(position) does not hold its member")
        let last = slots[slot].removeLast()
        if index < slots[slot].count {
            slots[slot][index] = last
            last.wheelPosition = position
        }
        member.wheelPosition = nil
        count -= 1
    }

    /// Moves to the next tick and returns the members due by it, taken out of the wheel. Members
    /// of that slot whose deadline moved later (or lies a revolution or more away) are filed again.
    mutating func advance() -> [Member] {
        tick += 1
        let slot = Int(tick & mask)
        guard !slots[slot].isEmpty else { return [] }
        swap(&scratch, &slots[slot])
        count -= scratch.count
        var due: [Member] = []
        for member in scratch {
            member.wheelPosition = nil
            if let deadline = member.dueTick {
                if deadline <= tick {
                    due.append(member)
                } else {
                    file(member)
                }
            }
        }
        scratch.removeAll(keepingCapacity: true)
        return due
    }
}
