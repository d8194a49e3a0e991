@testable import IrisRouterEdge
import Testing

/// A member with a deadline the test sets.
private final class Timer: TimingWheelMember {
    var wheelPosition: TimingWheelPosition?
    var dueTick: UInt64?
    let name: Int
    init(_ name: Int, due: UInt64?) {
        self.name = name
        dueTick = due
    }
}

@Suite struct TimingWheelTests {
    /// Advances `wheel` until `tick`, returning the names due at each tick.
    private func run(_ wheel: inout TimingWheel<Timer>, until tick: UInt64) -> [UInt64: [Int]] {
        var due: [UInt64: [Int]] = [:]
        while wheel.tick < tick {
            let members = wheel.advance()
            if !members.isEmpty { due[wheel.tick] = members.map(\.name).sorted() }
        }
        return due
    }

    @Test("every member is due exactly at its deadline: never earlier, never later, also a revolution or more away")
    func dueExactlyAtDeadline() {
        var wheel = TimingWheel<Timer>(slotCount: 8)
        let deadlines: [UInt64] = [1, 2, 3, 7, 8, 9, 15, 16, 17, 40, 41, 64]
        let timers = deadlines.enumerated().map { Timer($0.offset, due: $0.element) }
        for timer in timers { wheel.file(timer) }
        #expect(wheel.count == deadlines.count)
        let due = run(&wheel, until: 70)
        for timer in timers { #expect(due[timer.dueTick!]?.contains(timer.name) == true, "timer due at \(timer.dueTick!)") }
        #expect(due.values.map(\.count).reduce(0, +) == deadlines.count)
        #expect(wheel.count == 0)
    }

    @Test("a deadline moved later without re-filing is honoured when the old one comes (activity only stores a stamp)")
    func movedLaterIsRefiled() {
        var wheel = TimingWheel<Timer>(slotCount: 4)
        let timer = Timer(1, due: 3)
        wheel.file(timer)
        #expect(run(&wheel, until: 2).isEmpty)
        timer.dueTick = 11  // activity at tick 2
        let due = run(&wheel, until: 20)
        #expect(due == [11: [1]])
    }

    @Test("removing, re-filing earlier, no deadline, and a deadline already passed")
    func removeAndRefile() {
        var wheel = TimingWheel<Timer>(slotCount: 16)
        let a = Timer(1, due: 5), b = Timer(2, due: 5), c = Timer(3, due: 5), d = Timer(4, due: 9)
        for timer in [a, b, c, d] { wheel.file(timer) }
        wheel.remove(a)  // swap-remove from the middle of slot 5 keeps the others' positions valid
        wheel.remove(a)
        #expect(wheel.count == 3)
        d.dueTick = 2  // moved earlier: must be re-filed
        wheel.file(d)
        c.dueTick = nil
        wheel.file(c)  // no deadline: leaves the wheel
        #expect(wheel.count == 2)
        #expect(run(&wheel, until: 3) == [2: [4]])
        let late = Timer(5, due: 1)  // already passed: due at the next tick
        wheel.file(late)
        #expect(run(&wheel, until: 10) == [4: [5], 5: [2]])
        #expect(a.wheelPosition == nil && wheel.count == 0)
    }

    @Test("many members filed, moved and removed in a random order: each due exactly once, at its final deadline")
    func randomModel() {
        var random = SplitMix(seed: 7)
        var wheel = TimingWheel<Timer>(slotCount: 32)
        var timers: [Timer] = []
        var expected: [Int: UInt64] = [:]
        var seen: [Int: UInt64] = [:]
        for step in 0..<3_000 {
            switch random.next() % 4 {
            case 0, 1:
                let timer = Timer(timers.count, due: wheel.tick + 1 + random.next() % 100)
                timers.append(timer)
                wheel.file(timer)
                expected[timer.name] = timer.dueTick
            case 2 where !timers.isEmpty:
                let timer = timers[Int(random.next() % UInt64(timers.count))]
                guard timer.wheelPosition != nil else { break }
                if random.next() % 2 == 0 {
                    wheel.remove(timer)
                    expected[timer.name] = nil
                } else {
                    timer.dueTick = wheel.tick + 1 + random.next() % 100  // moved, later or earlier
                    wheel.file(timer)
                    expected[timer.name] = timer.dueTick
                }
            default:
                for timer in wheel.advance() {
                    #expect(seen[timer.name] == nil, "step \(step): timer \(timer.name) due twice")
                    seen[timer.name] = wheel.tick
                }
            }
        }
        while wheel.count > 0 { for timer in wheel.advance() { seen[timer.name] = wheel.tick } }
        #expect(seen == expected)
    }
}

/// A small deterministic generator (SplitMix64), so a failure replays.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
