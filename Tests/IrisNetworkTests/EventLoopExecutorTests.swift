import Foundation
import IrisLog
import IrisNode
import IrisReplication
import IrisTransport
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import IrisDaemon

/// Partition loops run on NIO event loops through task executor preference (`Node.run(on:)`).
@Suite("Event-loop task executors")
struct EventLoopExecutorTests {
    @Test("a task that prefers an event loop's executor runs there, also after resuming from another thread")
    func taskRunsOnItsLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let executors = EventLoopTaskExecutor.all(of: group)
        #expect(executors.count == 2)
        for executor in executors {
            let onLoop = await Task(executorPreference: executor) { () async -> [Bool] in
                var seen = [executor.eventLoop.inEventLoop]
                // Resumed from a thread of its own: the task continues on its loop.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    Thread.detachNewThread { continuation.resume() }
                }
                seen.append(executor.eventLoop.inEventLoop)
                try? await Task.sleep(for: .milliseconds(1))
                seen.append(executor.eventLoop.inEventLoop)
                return seen
            }.value
            #expect(onLoop == [true, true, true])
        }
        #expect(executors.executor(for: 0) === executors[0])
        #expect(executors.executor(for: 3) === executors[1])
        #expect([EventLoopTaskExecutor]().executor(for: 3) == nil)
        try await group.shutdownGracefully()
    }

    @Test("a node run on event loops answers each partition's appends on that partition's loop")
    func partitionsAnswerOnTheirLoops() async throws {
        let data = TestNodes.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let executors = EventLoopTaskExecutor.all(of: group)
        let configuration = NodeConfiguration(
            dataDirectory: data, nodeID: NodeID(1), members: [NodeID(1): Endpoint(host: "127.0.0.1", port: 7100)],
            partitionCount: 4, replicaCount: 1)
        let network = InProcessNetwork()
        let node = try Node(configuration: configuration, sender: network, logger: TestNodes.quiet)
        network.add(node)
        let task = Task { await node.run(on: executors) }
        for partition in 0..<4 {
            // Until the node has elected itself: answers then come from the partition's loop.
            var answered: (answer: PartitionAnswer, onLoop: Bool)?
            for _ in 0..<400 {
                let loop = executors[partition % executors.count].eventLoop
                let result = await withCheckedContinuation { (continuation: CheckedContinuation<(PartitionAnswer, Bool), Never>) in
                    node.enqueueAppend(partition: PartitionID(UInt32(partition)), records: [Record(value: Array("p\(partition)".utf8))]) { answer in
                        continuation.resume(returning: (answer, loop.inEventLoop))
                    }
                }
                answered = result
                if case .appended = result.0 { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            let (answer, onLoop) = try #require(answered)
            guard case .appended = answer else {
                Issue.record("partition \(partition): \(answer)")
                continue
            }
            #expect(onLoop, "partition \(partition)'s answer came from another thread")
        }
        node.shutdown()
        await task.value
        try await group.shutdownGracefully()
    }
}
