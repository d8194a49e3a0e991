/// Chooses each partition's preferred leader among its replicas so that the most leaderships
/// any node holds is as small as possible; SPEC.md §10.3.
///
/// Start: every partition prefers its first replica (highest rendezvous weight), so most
/// leaderships stay put when a node joins or leaves. Repair: while a node leads more than
/// the cap (first ⌈P/N⌉), a breadth-first search finds a chain of partitions whose
/// leadership moves one step each (from their leader to another of their replicas) ending at
/// a node below the cap; when no chain exists the cap cannot be met by any assignment (the
/// nodes reached lead more partitions than the cap allows them, and those partitions have
/// all their replicas among them) and the cap grows by one. The result is therefore the
/// minimum maximum, and the same for the same input (arrays only, no hashing of sets).
enum LeaderBalancer {
    struct Result {
        var leaderIndices: [Int32]
        var leadersPerNodeMax: Int
    }

    static func balance(replicaIndices: [Int32], replicaCount: Int, nodeCount: Int) -> Result {
        precondition(replicaCount >= 1 && replicaIndices.count % replicaCount == 0)
        let partitionCount = replicaIndices.count / replicaCount
        var state = State(replicaIndices: replicaIndices, replicaCount: replicaCount, nodeCount: nodeCount)
        var cap = (partitionCount + nodeCount - 1) / nodeCount
        var node = 0
        while node < nodeCount {
            if state.led[node].count <= cap {
                node += 1
            } else if let path = state.augmentingPath(from: node, cap: cap) {
                state.apply(path)
            } else {
                cap += 1  // proven infeasible: see the type's comment
            }
        }
        let maximum = state.led.map(\.count).max() ?? 0
        precondition(maximum <= cap, "every node was brought to the cap, and the cap only grew")
        return Result(leaderIndices: state.leader, leadersPerNodeMax: maximum)
    }

    /// One move of a chain: `partition`'s leadership goes from its leader to `node`.
    struct Move {
        var partition: Int32
        var node: Int32
    }

    struct State {
        let replicaIndices: [Int32]
        let replicaCount: Int
        var leader: [Int32]
        /// Partitions each node leads; removal swaps with the last, so the order is deterministic.
        var led: [[Int32]]
        /// Position of each partition in its leader's `led` list.
        var position: [Int]

        init(replicaIndices: [Int32], replicaCount: Int, nodeCount: Int) {
            self.replicaIndices = replicaIndices
            self.replicaCount = replicaCount
            let partitionCount = replicaIndices.count / replicaCount
            leader = (0..<partitionCount).map { replicaIndices[$0 * replicaCount] }
            led = Array(repeating: [], count: nodeCount)
            position = Array(repeating: 0, count: partitionCount)
            for partition in 0..<partitionCount {
                let node = Int(leader[partition])
                position[partition] = led[node].count
                led[node].append(Int32(partition))
            }
        }

        /// The moves, in order from `start`, of the shortest chain ending at a node that leads
        /// fewer than `cap` partitions; nil when there is none.
        func augmentingPath(from start: Int, cap: Int) -> [Move]? {
            var parent = [Move?](repeating: nil, count: led.count)
            var visited = [Bool](repeating: false, count: led.count)
            visited[start] = true
            var queue = [start]
            var head = 0
            while head < queue.count {
                let node = queue[head]
                head += 1
                for partition in led[node] {
                    let base = Int(partition) * replicaCount
                    for rank in 0..<replicaCount {
                        let next = Int(replicaIndices[base + rank])
                        guard !visited[next] else { continue }
                        visited[next] = true
                        parent[next] = Move(partition: partition, node: Int32(next))
                        if led[next].count < cap { return chain(to: next, parent: parent, start: start) }
                        queue.append(next)
                    }
                }
            }
            return nil
        }

        private func chain(to end: Int, parent: [Move?], start: Int) -> [Move] {
            var moves: [Move] = []
            var node = end
            while node != start {
                let move = parent[node]!
                moves.append(move)
                node = Int(leader[Int(move.partition)])
            }
            return moves.reversed()
        }

        mutating func apply(_ path: [Move]) {
            for move in path {
                let partition = Int(move.partition)
                remove(partition, from: Int(leader[partition]))
                leader[partition] = move.node
                position[partition] = led[Int(move.node)].count
                led[Int(move.node)].append(move.partition)
            }
        }

        private mutating func remove(_ partition: Int, from node: Int) {
            let index = position[partition]
            precondition(led[node][index] == Int32(partition))
            let last = led[node].removeLast()
            if index < led[node].count {
                led[node][index] = last
                position[Int(last)] = index
            }
        }
    }
}
