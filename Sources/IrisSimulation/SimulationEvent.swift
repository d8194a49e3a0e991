import IrisLog
import IrisNode
import IrisReplication

/// Everything that can happen in a simulation, in simulated time.
enum SimulationEvent {
    case tick(node: Int, incarnation: Int)
    case deliver(Envelope)
    case logFsyncCompleted(node: Int, incarnation: Int, LogSyncTicket)
    case hardStateFsyncCompleted(node: Int, incarnation: Int, HardState)
    case clientRequestArrives(node: Int, ClientRequestID, values: [[UInt8]])
    case clientTimeout(client: Int, ClientRequestID)
    case clientNext(client: Int)
    case fault
    case restart(node: Int)
    case healLinks(generation: Int)
    case healAll
    case livenessDeadline
}
