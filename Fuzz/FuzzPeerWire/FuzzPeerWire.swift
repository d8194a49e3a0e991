import IrisLog
import IrisReplication

/// libFuzzer target: `PeerWire.frameLength` and `PeerWire.decode` on arbitrary bytes from a
/// peer (SPEC.md §9.5.6), as node 2 of cluster 0x1122334455667788 (nodes 1-3, 16 partitions)
/// receives them.
///
/// Each input is tried as one frame, as is and with its length and CRC fields recomputed (so
/// mutations reach the checks behind the CRC), then as a byte stream cut into frames the way a
/// transport cuts it. Invariants: decoding never traps; `frameLength` agrees with a decoded
/// frame's size; every decoded message is for a partition below P and passes the §9.5.5
/// checks; re-encoding a decoded frame gives the input back byte for byte (or, when messages
/// of an unknown type were skipped, a shorter frame that decodes to the same value).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    checkFrame(raw)
    if size >= PeerWire.headerBytes {
        var fixed = raw
        store(UInt32(truncatingIfNeeded: size - PeerWire.lengthFieldBytes), in: &fixed, at: 0)
        store(CRC32C.checksum(fixed[8...]), in: &fixed, at: 4)
        if fixed != raw { checkFrame(fixed) }
    }
    checkStream(raw)
    return 0
}

private let receiver = PeerWireReceiver(
    clusterID: ClusterID(0x1122_3344_5566_7788), nodeID: NodeID(2), members: [NodeID(1), NodeID(2), NodeID(3)])

/// Small enough that mutations reach the limits; fixed, so the initializer cannot throw.
private let limits: PeerWireLimits = {
    do {
        return try PeerWireLimits(partitionCount: 16, messagesPerPeerFrameMax: 64)
    } catch {
        preconditionFailure("fixed limits are valid: \(error)")
    }
}()

private func checkFrame(_ bytes: [UInt8]) {
    let frame: PeerFrame
    do throws(PeerWireError) {
        frame = try PeerWire.decode(bytes, limits: limits, receiver: receiver)
    } catch {
        precondition(!error.description.isEmpty)
        return
    }
    let length = try? PeerWire.frameLength(prefix: bytes, limits: limits)
    precondition(length == bytes.count, "a decoded frame is exactly as long as frameLength says")
    precondition(frame.header.to == receiver.nodeID && frame.header.clusterID == receiver.clusterID)
    switch frame.body {
    case .hello:
        precondition(PeerWire.encodeHello(frame.header) == bytes, "a HELLO re-encodes byte for byte")
    case .messages(let messages):
        for message in messages {
            precondition(Int(message.partition.rawValue) < limits.partitionCount, "partition checked")
            precondition(message.envelope.from == frame.header.from && message.envelope.to == frame.header.to)
            precondition(message.envelope.message.defect(
                frameBytesMax: limits.frameBytesMax, messageBytesMax: limits.messageBytesMax) == nil, "§9.5.5 checked")
        }
        let reencoded = PeerWire.encodeMessages(frame.header, messages)
        if frame.skippedMessageCount == 0 {
            precondition(reencoded == bytes, "decoded messages re-encode byte for byte")
        } else {
            precondition(reencoded.count < bytes.count, "skipped messages are left out")
            let again = try? PeerWire.decode(reencoded, limits: limits, receiver: receiver)
            precondition(again == PeerFrame(header: frame.header, body: frame.body), "the re-encoded frame decodes to the same")
        }
    }
}

/// Cuts `bytes` into frames as a transport does, decoding each, until the stream is refused or
/// holds no whole frame. Each frame is at least a header long, so the loop is bounded.
private func checkStream(_ bytes: [UInt8]) {
    var position = 0
    while position < bytes.count {
        let rest = bytes[position...]
        guard let needed = try? PeerWire.frameLength(prefix: rest, limits: limits), needed <= rest.count else { return }
        precondition(needed >= PeerWire.headerBytes, "a frame is at least a header")
        checkFrame(Array(rest.prefix(needed)))
        position += needed
    }
}

private func store(_ value: UInt32, in bytes: inout [UInt8], at position: Int) {
    for index in 0..<4 { bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
}
