#if canImport(Glibc)
import Glibc
#endif
import IrisReplication
@testable import IrisSimulation
import Testing

/// Seeds for the no-bug sweeps: 300 by default; CI may raise it with the
/// environment variable IRIS_SIM_SEEDS (e.g. 2000).
let sweepSeedCount: UInt64 = {
    guard let raw = getenv("IRIS_SIM_SEEDS"), let value = UInt64(String(cString: raw)), value > 0 else { return 300 }
    return value
}()
/// A planted bug must be caught within this many seeds.
let plantedBugSeedBound: UInt64 = 2_000

@Suite("Simulator")
struct SimulationTests {
    @Test(arguments: [3, 5])
    func correctProtocolPassesEverySeedWithZeroViolations(replicas: Int) {
        let summary = SeedSweep.run(SimulationOptions(replicaCount: replicas, seed: 0), seeds: 0..<sweepSeedCount)
        for failure in summary.failures.prefix(1) {
            Issue.record("seed \(failure.seed): \(failure.violation!)\n\(failure.trace.suffix(40).joined(separator: "\n"))")
        }
        #expect(summary.seedsRun == Int(sweepSeedCount))
        #expect(summary.failures.isEmpty)
        // The runs were not vacuous: faults happened and appends were acknowledged.
        #expect(summary.statistics.crashes > 0)
        #expect(summary.statistics.partitions > 0)
        #expect(summary.statistics.committed > 1_000)
        #expect(summary.statistics.healToCommitMillisecondsMax > 0)
        #expect(summary.statistics.healToCommitMillisecondsMax < 3_000)
    }

    @Test(arguments: PlantedBugs.named.map(\.name))
    func plantedBugIsCaughtWithinTheSeedBound(bugName: String) throws {
        let bug = try #require(PlantedBugs.named.first { $0.name == bugName }?.bug)
        let summary = SeedSweep.run(
            SimulationOptions(replicaCount: 3, seed: 0, plantedBugs: bug),
            seeds: 0..<plantedBugSeedBound, stopAtFirstFailure: true)
        let failure = try #require(summary.failures.first, "\(bugName) not caught in \(plantedBugSeedBound) seeds")
        #expect(!failure.trace.isEmpty && failure.trace.count <= 200)
    }

    /// Every planted bug is also caught with the persist-before-send check switched
    /// off, by the safety invariants themselves (one vote per term, durable-majority
    /// commit, committed entries never lost, commit never regresses...).
    @Test(arguments: [
        ("commitOnMinority", 3, Violation.Kind.committedWithoutDurableMajority),
        ("followerAcksBeforeFsync", 3, Violation.Kind.committedWithoutDurableMajority),
        ("noTermCheckOnAppend", 3, nil),
        ("voteNotPersisted", 5, Violation.Kind.votedTwiceInOneTerm),
    ])
    func plantedBugIsCaughtBySafetyInvariantsAlone(bugName: String, replicas: Int, expectedKind: Violation.Kind?) throws {
        let bug = try #require(PlantedBugs.named.first { $0.name == bugName }?.bug)
        var options = SimulationOptions(replicaCount: replicas, seed: 0, plantedBugs: bug)
        options.checkDurabilityOrder = false
        let summary = SeedSweep.run(options, seeds: 0..<plantedBugSeedBound, stopAtFirstFailure: true)
        let failure = try #require(summary.failures.first)
        #expect(failure.violation?.kind != .sentBeforeDurable)
        if let expectedKind { #expect(failure.violation?.kind == expectedKind) }
    }

    @Test func voteNotPersistedIsCaughtByThePersistBeforeSendCheck() {
        let result = SeedSweep.runOne(SimulationOptions(replicaCount: 3, seed: 0, plantedBugs: .voteNotPersisted), seed: 0)
        #expect(result.violation?.kind == .sentBeforeDurable)
    }

    @Test func sameSeedReplaysIdentically() {
        let options = SimulationOptions(replicaCount: 5, seed: 0)
        let first = SeedSweep.runOne(options, seed: 42)
        let second = SeedSweep.runOne(options, seed: 42)
        #expect(first.statistics == second.statistics)
        #expect(first.statistics != SeedSweep.runOne(options, seed: 43).statistics)
    }

    @Test func checkerRejectsTwoLeadersAndDivergentCommittedPrefixes() throws {
        var checker = InvariantChecker(replicaCount: 3, checkDurabilityOrder: true)
        var disks = Array(repeating: SimulatedDisk(), count: 3)
        let appendedFirst = disks[0].append([entry(1, 1, [1])])
        let appendedSecond = disks[1].append([entry(1, 1, [2])])
        #expect(appendedFirst && appendedSecond)
        checker.observeAppend(node: 0, disk: disks[0], from: Offset(1))
        checker.observeAppend(node: 1, disk: disks[1], from: Offset(1))
        #expect(checker.violation?.kind == .logMatching)

        var commitChecker = InvariantChecker(replicaCount: 3, checkDurabilityOrder: true)
        disks = Array(repeating: SimulatedDisk(), count: 3)
        for index in 0..<3 { _ = disks[index].append([entry(1, 1, [UInt8(index == 2 ? 9 : 1)])]); disks[index].completeFsync() }
        commitChecker.observeCommit(node: 0, to: Offset(1), disks: disks)
        #expect(commitChecker.violation == nil)
        commitChecker.observeCommit(node: 2, to: Offset(1), disks: disks)
        #expect(commitChecker.violation?.kind == .committedPrefixDiverged)
    }

    @Test func crashKeepsOnlyDurableEntriesAndAPrefixOfUnsyncedOnes() {
        var disk = SimulatedDisk()
        _ = disk.append([entry(1, 1), entry(1, 2)])
        disk.completeFsync()
        _ = disk.append([entry(1, 3), entry(1, 4), entry(1, 5)])
        disk.crash(keepUnsyncedPrefix: 1, hardStateWriteSurvives: false)
        #expect(disk.entries == [entry(1, 1), entry(1, 2), entry(1, 3)])
        // A truncation not yet fsynced is undone by a crash.
        disk.truncate(after: Offset(1))
        _ = disk.append([entry(2, 2)])
        disk.crash(keepUnsyncedPrefix: 5, hardStateWriteSurvives: false)
        #expect(disk.entries == [entry(1, 1), entry(1, 2), entry(1, 3)])
    }
}
