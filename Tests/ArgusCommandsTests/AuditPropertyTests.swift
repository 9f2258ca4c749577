import ArgoEngine
import Foundation
import Testing
@testable import ArgusAnalysis
import Flask
import Sepol
import TestSupport
import XenProfile

/// Random inventories on the example policy: the audit must agree with the hook semantics
/// recomputed straight from libsepol, and keep its own invariants.
@Suite(.serialized) struct AuditPropertyTests {
    struct Scenario {
        var inventory: SystemInventory
        var booleans: [String: Bool]
    }

    func randomScenario(_ rng: inout SplitMix64, policy: Policy, contexts: [String]) -> Scenario {
        let n = 2 + rng.below(10)
        var domains: [DomainSpec] = []
        for i in 0..<n {
            domains.append(DomainSpec(name: "d\(i)", domid: UInt16(i), label: contexts[rng.below(contexts.count)], privileged: rng.below(4) == 0))
        }
        for i in 0..<n where rng.below(4) == 0 {
            let t = rng.below(n)
            if t != i { domains[i].target = "d\(t)" }
        }
        let boot = BootSettings(
            argo: rng.below(6) != 0, macPermissive: rng.below(2) == 0,
            xsm: [.flask, .flask, .flask, .dummy, .silo][rng.below(5)], flask: rng.below(5) == 0 ? .permissive : .enforcing)
        var booleans: [String: Bool] = [:]
        for b in policy.image.booleans where rng.below(2) == 0 { booleans[b.name] = rng.below(2) == 0 }
        return Scenario(inventory: SystemInventory(boot: boot, domains: domains), booleans: booleans)
    }

    @Test func auditAgreesWithLibsepolOnRandomInventories() throws {
        let policy = try Fixtures.examplePolicy()
        let contexts = Differential.validContexts(of: policy)
        let argo = try #require(policy.classValue("argo")), domainClass = try #require(policy.classValue("domain"))
        let bit = { (p: String) in policy.permissionMask(p, inClass: argo)! }
        var rng = SplitMix64(seed: 20261124)
        var checkedPairs = 0
        for _ in 0..<60 {
            let scenario = randomScenario(&rng, policy: policy, contexts: contexts)
            let system = try ResolvedSystem(inventory: scenario.inventory, policy: policy, booleans: scenario.booleans)
            let audit = ArgoAudit(system)
            let boot = scenario.inventory.boot
            let d = scenario.inventory.domains
            try SepolOracle.with(policy: policy.binary) { oracle in
                for (name, value) in scenario.booleans { _ = oracle.setBoolean(policy.booleanValue(name)!, to: value) }
                let sids = d.map { oracle.sid(for: $0.label)! }
                let xen = policy.initialSID(named: "xen")!.number
                func allowed(_ s: UInt32, _ t: UInt32, _ perm: String) -> Bool {
                    let av = oracle.computeAV(source: s, target: t, tclass: argo)!
                    let permissiveType = policy.type(try! policy.context(oracle.context(of: s)!).type).permissive
                    return av.allowed & bit(perm) != 0 || boot.flask == .permissive || permissiveType
                }
                func hook(_ perm: String, _ i: Int, _ j: Int?) -> Bool {
                    switch boot.xsm {
                    case .dummy: return true
                    case .silo:
                        guard let j else { return true }
                        return i == j || d[i].privileged || d[j].privileged
                    case .flask:
                        guard let j else { return allowed(sids[i], xen, perm) }
                        let target: UInt32
                        if i == j { target = oracle.transition(source: sids[i], target: sids[i], tclass: domainClass)! }
                        else if d[i].target == d[j].name { target = oracle.transition(source: sids[j], target: sids[i], tclass: domainClass)! }
                        else { target = sids[j] }
                        return allowed(sids[i], target, perm)
                    }
                }
                let hasArgo = d.indices.map { boot.argo && hook("enable", $0, nil) }
                let wildcard = d.indices.map { hasArgo[$0] && boot.macPermissive && hook("register_any_source", $0, nil) }
                for i in d.indices {
                    #expect(audit.domains[i].argo == hasArgo[i])
                    #expect(audit.domains[i].registerAnySource == wildcard[i])
                    for j in d.indices {
                        let rss = hasArgo[i] && hasArgo[j] && hook("register_single_source", i, j)
                        let send = hasArgo[i] && hasArgo[j] && hook("send", i, j)
                        let back = hasArgo[j] && hasArgo[i] && hook("register_single_source", j, i)
                        #expect(audit.has(.registerSingleSource, i, j) == rss, "\(d[i].label) -> \(d[j].label) rss")
                        #expect(audit.has(.send, i, j) == send, "\(d[i].label) -> \(d[j].label) send")
                        #expect(audit.has(.notify, i, j) == send)
                        #expect(audit.has(.channel, i, j) == (send && (back || wildcard[j])))
                        checkedPairs += 1
                    }
                }
            }
        }
        #expect(checkedPairs > 1_000)
    }

    /// Large inventories (past the 64-domain tiles and the eight-pair skips of the audit's bulk
    /// pass): every pair agrees with the hooks asked one pair at a time.
    @Test func bulkAuditAgreesWithHookByHookOnLargeInventories() throws {
        let policy = try Fixtures.examplePolicy()
        let contexts = Differential.validContexts(of: policy)
        var rng = SplitMix64(seed: 20261130)
        var checked = 0
        for round in 0..<6 {
            let n = 70 + rng.below(90)
            var domains = (0..<n).map { i in
                DomainSpec(name: "d\(i)", domid: UInt16(i), label: contexts[rng.below(contexts.count)], privileged: rng.below(8) == 0)
            }
            for i in 0..<n where rng.below(5) == 0 {
                let t = rng.below(n)
                if t != i { domains[i].target = "d\(t)" }
            }
            let boot = BootSettings(argo: true, macPermissive: rng.below(2) == 0,
                                    xsm: [.flask, .flask, .flask, .silo, .dummy][round % 5], flask: round == 2 ? .permissive : .enforcing)
            let system = try ResolvedSystem(inventory: SystemInventory(boot: boot, domains: domains), policy: policy)
            let audit = ArgoAudit(system)
            let hooks = ArgoHooks(system)
            for i in 0..<n {
                for j in 0..<n {
                    let both = audit.domains[i].argo && audit.domains[j].argo
                    let mayCall = both && hooks.hypervisorHook(.enable, domain: i).allowed
                    let rss = mayCall && hooks.domainHook(.registerSingleSource, i, j).allowed
                    let send = mayCall && hooks.domainHook(.send, i, j).allowed
                    let backCall = both && hooks.hypervisorHook(.enable, domain: j).allowed
                    let back = backCall && hooks.domainHook(.registerSingleSource, j, i).allowed
                    #expect(audit.has(.registerSingleSource, i, j) == rss, "round \(round) \(i) -> \(j) rss")
                    #expect(audit.has(.send, i, j) == send, "round \(round) \(i) -> \(j) send")
                    #expect(audit.has(.notify, i, j) == send)
                    #expect(audit.has(.channel, i, j) == (send && (back || audit.domains[j].registerAnySource)), "round \(round) \(i) -> \(j) channel")
                    checked += 1
                }
            }
        }
        #expect(checked > 30_000)
    }

    /// Each domain's SID and build SID are the table's SIDs of its label and build label
    /// (taken from the table's build order, not looked up), with device models and build labels mixed in.
    @Test func sidsAreTheLabelsSIDs() throws {
        let policy = try Fixtures.examplePolicy()
        let contexts = Differential.validContexts(of: policy)
        var rng = SplitMix64(seed: 20261202)
        for _ in 0..<20 {
            let n = 1 + rng.below(40)
            var domains = (0..<n).map { i in
                DomainSpec(name: "d\(i)", domid: UInt16(i), label: contexts[rng.below(contexts.count)], privileged: false)
            }
            for i in 0..<n where rng.below(3) == 0 { domains[i].buildLabel = contexts[rng.below(contexts.count)] }
            for i in 0..<n where rng.below(5) == 0 {
                let t = rng.below(n)
                if t != i { domains[i].target = "d\(t)" }
            }
            let system = try ResolvedSystem(inventory: SystemInventory(boot: BootSettings(argo: true), domains: domains), policy: policy,
                                            extraLabels: [(contexts[rng.below(contexts.count)], nil)])
            for i in 0..<n {
                #expect(system.sids[i] == system.table.sid(of: try policy.context(domains[i].label)))
                #expect(system.buildSIDs[i] == system.table.sid(of: try policy.context(domains[i].buildLabel ?? domains[i].label)))
            }
        }
    }

    /// The JSON's `reach` and `pairs` sections (written from byte templates in 64 KiB chunks,
    /// channels read eight pairs at a time) against a plain rendering pair by pair, on large
    /// inventories whose names need escaping; `ChannelGraph(audit)` against `has(.channel)`.
    @Test func jsonPairsAndReachMatchAPlainRendering() throws {
        let policy = try Fixtures.examplePolicy()
        let contexts = Differential.validContexts(of: policy)
        var rng = SplitMix64(seed: 20261201)
        let odd = ["vm \"quoted\" ", "back\\slash", "tab\t", "é-", "line\nbreak", "\u{1}ctl", "plain"]
        var chunked = 0
        for round in 0..<6 {
            let n = 9 + rng.below(190)
            let domains = (0..<n).map { i in
                DomainSpec(name: odd[rng.below(odd.count)] + "\(i)", domid: UInt16(i), label: contexts[rng.below(contexts.count)],
                           privileged: rng.below(8) == 0)
            }
            let boot = BootSettings(argo: round != 5, macPermissive: rng.below(2) == 0,
                                    xsm: [.flask, .dummy, .flask, .silo, .flask, .flask][round], flask: .enforcing)
            let audit = ArgoAudit(try ResolvedSystem(inventory: SystemInventory(boot: boot, domains: domains), policy: policy))
            let names = domains.map { JSONStreamWriter.quoted($0.name) }
            let successors = (0..<n).map { i in (0..<n).filter { audit.has(.channel, i, $0) } }
            #expect(ChannelGraph(audit).successors == successors, "round \(round)")
            let closure = ChannelGraph(successors: successors).closure()
            var reach = "\"reach\": ["
            for i in 0..<n {
                reach += (i == 0 ? "\n" : ",\n") + "    {\"domain\": \(names[i]), \"one_hop\": ["
                reach += successors[i].map { names[$0] }.joined(separator: ", ") + "], \"any_hops\": ["
                reach += closure[i].map { names[$0] }.joined(separator: ", ") + "]}"
            }
            reach += "\n  ],\n  \"pairs\": ["
            var pairs = ""
            for i in 0..<n {
                for j in 0..<n where audit.pairs[i * n + j] != 0 {
                    pairs += (pairs.isEmpty ? "\n" : ",\n") + "    {\"source\": \(names[i]), \"target\": \(names[j])"
                    for flow in AuditRenderer.pairFlows { pairs += ", \"\(flow.rawValue)\": \(audit.has(flow, i, j))" }
                    pairs += "}"
                }
            }
            pairs += pairs.isEmpty ? "]" : "\n  ]"
            var pieces: [String] = []
            AuditRenderer.json(audit, policyPath: "p") { pieces.append($0) }
            let json = pieces.joined()
            if pieces.count > 2 { chunked += 1 }
            #expect(json.contains(reach), "round \(round)")
            #expect(json.hasSuffix(reach + pairs + "\n}\n"), "round \(round)")
            #expect(AuditRenderer.json(audit, policyPath: "p") == json)
            // Without a sink, the writer keeps every byte.
            var w = JSONStreamWriter()
            let none = PairsJSON(names: domains.map(\.name)).write(audit.pairs, n: n, to: &w)
            #expect(none == (pairs == "]"))
            #expect(w.text + (none ? "]" : "\n  ]") == pairs, "round \(round)")
        }
        #expect(chunked > 0)
    }

    /// Whatever the policy: channel implies send; send implies Argo on both sides; Argo off means nothing.
    @Test func invariantsHold() throws {
        let policy = try Fixtures.examplePolicy()
        let contexts = Differential.validContexts(of: policy)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<100 {
            let scenario = randomScenario(&rng, policy: policy, contexts: contexts)
            let audit = ArgoAudit(try ResolvedSystem(inventory: scenario.inventory, policy: policy, booleans: scenario.booleans))
            let n = audit.count
            for i in 0..<n {
                if !scenario.inventory.boot.argo { #expect(!audit.domains[i].argo) }
                if audit.domains[i].registerAnySource { #expect(audit.domains[i].argo && scenario.inventory.boot.macPermissive) }
                for j in 0..<n {
                    if audit.has(.channel, i, j) { #expect(audit.has(.send, i, j)) }
                    if audit.has(.send, i, j) || audit.has(.registerSingleSource, i, j) {
                        #expect(audit.domains[i].argo && audit.domains[j].argo)
                    }
                    if scenario.inventory.boot.xsm == .dummy && audit.domains[i].argo && audit.domains[j].argo {
                        #expect(audit.has(.send, i, j) && audit.has(.channel, i, j))
                    }
                }
            }
        }
    }
}
