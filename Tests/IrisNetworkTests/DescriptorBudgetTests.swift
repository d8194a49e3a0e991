import IrisRouterEdge
import Testing

@testable import IrisDaemon

/// How a node splits its open-file limit between itself, the client port and MQTT (pure).
@Suite("Descriptor budget (pure)")
struct DescriptorBudgetTests {
    private func budget(
        soft: Int, partitions: Int = 8, clients: Int? = nil, mqtt: Int? = nil, servesMQTT: Bool = true
    ) throws(NodeError) -> DescriptorBudget {
        try DescriptorBudget(
            limit: DescriptorLimit(soft: soft, hard: soft), hostedPartitions: partitions,
            clientConnections: clients, mqttConnections: mqtt, servesMQTT: servesMQTT)
    }

    @Test("by default the client port gets 1,024 and MQTT everything the node's reserve leaves")
    func defaults() throws {
        let budget = try budget(soft: 20_000)
        #expect(budget.reserve == 256 + 8 * 8)
        #expect(budget.clientConnections == 1_024)
        #expect(budget.mqttConnections == 20_000 - 320 - 1_024)
        let noMQTT = try self.budget(soft: 20_000, servesMQTT: false)
        #expect(noMQTT.clientConnections == 1_024 && noMQTT.mqttConnections == nil)
    }

    @Test("a low limit shrinks the client share to an eighth and still leaves MQTT the rest")
    func lowLimit() throws {
        let budget = try budget(soft: 1_024)
        let available = 1_024 - 320
        #expect(budget.clientConnections == available / 8)
        #expect(budget.mqttConnections == available - available / 8)
    }

    @Test("caps that do not fit, or a limit that leaves nothing, are refused with the figures and the remedy")
    func refusals() {
        #expect {
            try budget(soft: 20_000, mqtt: 19_000)
        } throws: { error in
            "\(error)".contains("1024 client and 19000 MQTT connections need 20024 descriptors, but 19680 are left")
                && "\(error)".contains("ulimit -n")
        }
        #expect {
            try budget(soft: 300, partitions: 8)
        } throws: { error in
            "\(error)".contains("keeps 320 descriptors for itself") && "\(error)".contains("it is 300 (hard limit 300)")
        }
        #expect(throws: NodeError.self) { try budget(soft: 20_000, clients: 0) }
        #expect(throws: NodeError.self) { try budget(soft: 20_000, mqtt: 0) }
        #expect(throws: NodeError.self) { try budget(soft: 2_000, clients: 5_000, servesMQTT: false) }
    }

    @Test("explicit caps that fit are kept exactly")
    func explicitCaps() throws {
        let budget = try budget(soft: 20_000, clients: 100, mqtt: 19_000)
        #expect(budget.clientConnections == 100 && budget.mqttConnections == 19_000)
    }
}
