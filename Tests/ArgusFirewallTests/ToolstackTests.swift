import ArgoEngine
import ArgusFirewall
import Testing
import XenProfile

/// The toolstack's reduction of per-VM rules and the rule list it leaves behind.
@Suite struct ToolstackTests {
    static func vm(_ name: String, _ domid: UInt16, type: String = "svm", stub: UInt16? = nil, seamless: Bool = false,
                   _ rules: [String]) -> OpenXTVM {
        OpenXTVM(name: name, domid: domid, stubdomDomid: stub, uuid: "uuid-\(name)", type: type, seamless: seamless,
                 rules: rules.map { WrittenOpenXTRule(rule: try! OpenXTRule.parse($0), text: $0, location: nil) })
    }

    static func list(_ vms: [OpenXTVM]) -> [String] {
        FirewallSetup(toolstackVMs: vms).ruleList().rules.map(\.description)
    }

    @Test func everyRuleComesWithItsInverseBetweenTheFrame() {
        let rules = Self.list([Self.vm("uivm", 1, type: "uivm", ["myself -> 0:5555"])])
        // Inserted at the head one by one (so in reverse), then dom0 -> dom0 and REJECT appended.
        #expect(rules == ["ACCEPT 0:5555 -> 1:*", "ACCEPT 1:* -> 0:5555", "ACCEPT 0:* -> 0:*", "REJECT *:* -> *:*"])
    }

    @Test func endpointsReduceOverTheRunningVMs() {
        let vms = [
            Self.vm("uivm", 1, type: "uivm", ["myself -> dom-type=ndvm:5555", "myself -> dom-name=syncvm", "myself -> 00000000-0000-0000-0000-00000000dead"]),
            Self.vm("ndvm", 2, type: "ndvm", stub: 3, ["my-stubdom -> 0:5100"]),
            Self.vm("syncvm", 4, type: "syncvm", ["5 -> myself", "myself -> myself:9", "* -> *:80"]),
        ]
        let rules = Set(Self.list(vms))
        #expect(rules.contains("ACCEPT 1:* -> 2:5555"))
        #expect(rules.contains("ACCEPT 2:5555 -> 1:*"))
        #expect(rules.contains("ACCEPT 1:* -> 4:*"))
        #expect(rules.contains("ACCEPT 3:* -> 0:5100"))
        // An unknown uuid, '5' (a uuid), self-to-self and '* -> *' reduce to nothing.
        #expect(!rules.contains { $0.contains("-> 4:9") || $0.contains("*:* -> *:80") || $0.contains("*:80 -> *:*") })
        #expect(rules.count == 2 + 2 + 2 + 2)  // two uivm rules match, one ndvm rule, each with its inverse; the frame
    }

    @Test func seamlessCountsForUserVMsOnly() {
        let rules = ["seamless -> myself-if-seamless:100"]
        let a = Self.vm("a", 5, seamless: true, rules), b = Self.vm("b", 6, seamless: true, rules)
        let service = Self.vm("s", 7, type: "ndvm", seamless: true, rules)
        let list = Set(Self.list([a, b, service]))
        #expect(list.contains("ACCEPT 6:* -> 5:100"))
        #expect(list.contains("ACCEPT 5:* -> 6:100"))
        #expect(!list.contains { $0.contains("7:") })
    }

    /// Two VMs naming each other give the same concrete rule twice, and at startup xenmgr
    /// applies each running VM against "all running VMs but this one": a's step adds both
    /// copies (neither exists without a), and so does b's step. Four copies, as xenmgr leaves them.
    @Test func duplicatesSurviveAsInTheRealToolstack() {
        let a = Self.vm("a", 5, ["myself -> dom-name=b:7"]), b = Self.vm("b", 6, ["dom-name=a -> myself:7"])
        let list = Self.list([a, b])
        #expect(list.filter { $0 == "ACCEPT 5:* -> 6:7" }.count == 4)
        #expect(list.filter { $0 == "ACCEPT 6:7 -> 5:*" }.count == 4)
    }

    /// The annotated list replays commands exactly as the engine's hypercalls do, including
    /// the patch's unsanitised positions.
    @Test func replayEqualsTheEngineForRandomCommands() throws {
        var seed: UInt64 = 0x5eed
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        for _ in 0..<200 {
            let hv = ArgoHypervisor(settings: ArgoBootSettings(behaviour: ArgoEngineBehaviour(XenProfile(version: .head, flavour: .openxt))))
            _ = try hv.createDomain(ArgoDomainSpec(domid: 0, isControl: true))
            let dom0 = hv.guest(0)
            var list = FirewallRuleList()
            for _ in 0..<12 {
                func address() -> ArgoAddress {
                    ArgoAddress(aport: [0, 5, ArgoABI.portAny][next(3)], domainID: [0, 1, ArgoABI.domidAny][next(3)])
                }
                let rule = VIPTablesRule(source: address(), destination: address(), accept: UInt32(next(2)))
                let position = Int32(next(8)) - 2
                let command: VIPTablesCommand = switch next(5) {
                case 0: .append(rule)
                case 1: .insert(rule, position: position)
                case 2: .deletePosition(position)
                case 3: .deleteMatching(rule)
                default: .flush
                }
                switch command {
                case .append(let r): try dom0.viptablesAdd(r, position: 0)
                case .insert(let r, let p): try dom0.viptablesAdd(r, position: p)
                case .deletePosition(let p): if p == -1 { try dom0.viptablesFlush() } else { try dom0.viptablesDelete(position: p) }
                case .deleteMatching(let r): try dom0.viptablesDelete(r)
                case .flush: try dom0.viptablesFlush()
                }
                list.apply(command, origin: .line("\(command)", location: nil))
                #expect(list.rules == hv.firewall.rules, "after \(command)")
            }
        }
    }

    @Test func verdictOverSourcePorts() {
        var list = FirewallRuleList()
        let any = ArgoAddress(aport: ArgoABI.portAny, domainID: ArgoABI.domidAny)
        list.apply(.append(VIPTablesRule(source: ArgoAddress(aport: 2222, domainID: 4), destination: any, accept: 1)), origin: .toolstackFrame("a"))
        list.apply(.append(VIPTablesRule(source: any, destination: any, accept: 0)), origin: .toolstackFrame("b"))
        let v = list.verdict(from: 4, to: ArgoAddress(aport: 5100, domainID: 0))
        #expect(v.acceptsSome && !v.acceptsEvery)
        #expect(v.acceptedPorts == [2222])
        #expect(list.verdict(from: 4, sourcePort: 7, to: ArgoAddress(aport: 5100, domainID: 0)).acceptsSome == false)
        #expect(list.verdict(from: 5, to: ArgoAddress(aport: 5100, domainID: 0)).acceptsSome == false)
        // No rule at all: the patch accepts.
        #expect(FirewallRuleList().verdict(from: 5, to: any).acceptsEvery)
    }
}
