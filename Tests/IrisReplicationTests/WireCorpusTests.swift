import Foundation
import IrisReplication
import Testing

/// The fuzz seed corpus `Fuzz/corpus/FuzzPeerWire` was written by a separate encoder from
/// SPEC.md §9.5.6 and §3: every file is a stream of valid frames this decoder accepts.
@Suite("Peer wire seed corpus")
struct WireCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus/FuzzPeerWire")

    @Test func everySeedIsAStreamOfValidFrames() throws {
        let limits = try WireFixture.limits()
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(names.count >= 9)
        var kinds: Set<String> = []
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
            var position = 0
            while position < bytes.count {
                let rest = Array(bytes[position...])
                let length = try #require(try PeerWire.frameLength(prefix: rest, limits: limits), "\(name) at \(position)")
                let frame = try PeerWire.decode(Array(rest.prefix(length)), limits: limits, receiver: WireFixture.receiver)
                switch frame.body {
                case .hello: kinds.insert("hello")
                case .messages(let messages):
                    for message in messages { kinds.insert("\(message.envelope.message)".prefix { $0 != "(" }.description) }
                    if frame.skippedMessageCount > 0 { kinds.insert("unknown") }
                }
                position += length
            }
        }
        #expect(kinds == ["hello", "voteRequest", "voteResponse", "appendRequest", "appendResponse", "unknown"])
    }
}
