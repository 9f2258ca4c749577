import ArgoEngine
import ArgusAnalysis
import ArgusExposure
import ArgusPaths
import Flask
import Foundation
import Testing
import TestSupport
import XenProfile

/// The inventory-free check against explicit enumerations on small generated policies:
/// never rules against libsepol's exposure oracle; must rules and paths against the real audit
/// of a system holding two unrelated domains of every valid label, under every boolean setting.
@Suite(.serialized) struct UniverseCheckOracleTests {
    /// One rules file with a rule per (kind, flow, source type, target type).
    static func rules(types: [String], kinds: [String], flows: [String], perDomain: [String]) throws -> CheckRulesFile {
        var text = ""
        for kind in kinds {
            for a in types {
                for flow in perDomain { text += "[[\(kind)]]\nfrom = \"type:\(a)\"\nflow = \"\(flow)\"\n\n" }
                for b in types {
                    for flow in flows { text += "[[\(kind)]]\nfrom = \"type:\(a)\"\nto = \"type:\(b)\"\nflow = \"\(flow)\"\n\n" }
                }
            }
        }
        return try CheckRulesFile.parse(text: text, path: "oracle.toml")
    }

    /// Which rules (by summary) the check says are broken.
    static func broken(_ report: CheckReport) -> Set<String> {
        Set(report.violations.map(\.rule.summary))
    }

    @Test(arguments: ExposureCase.all)
    func neverRulesEqualLibsepolExposure(_ c: ExposureCase) throws {
        let policy = try c.policy()
        let table = try ExposureFlowTable(policy: policy)
        let types = table.universe.domainTypes.map { policy.typeName($0) }
        let rules = try Self.rules(types: types, kinds: ["never"], flows: ["register_single_source", "send", "channel"],
                                   perDomain: ["argo", "register_any_source"])
        let report = try UniverseCheck(rules: rules, today: CalendarDate(year: 2026, month: 6, day: 1)!).run(table)
        let broken = Self.broken(report)
        let oracle = try OracleExposure(policy: policy)
        var possible = 0, impossible = 0
        for rule in rules.flowRules {
            let a = String(rule.from.description.dropFirst(5))
            let b = rule.to.map { String($0.description.dropFirst(5)) }
            let expected = oracle.answer(rule.flow.rawValue, a, b) != "never"
            #expect(broken.contains(rule.summary) == expected, "\(rule.summary)")
            if expected { possible += 1 } else { impossible += 1 }
        }
        #expect(possible > 0 && impossible > 0, "\(possible) possible, \(impossible) impossible")
        // One finding per broken rule here (each rule names one type pair), each with a counterexample.
        #expect(report.violations.allSatisfy { $0.counterexample != nil && !$0.explanation.isEmpty })
    }

    /// The real audit of two unrelated domains per valid label, for one setting and mac-permissive.
    static func copiesAudit(_ table: ExposureFlowTable, setting: Int, mac: Bool) throws -> ArgoAudit {
        let policy = table.policy
        var domains: [DomainSpec] = []
        for (i, c) in table.universe.contexts.enumerated() {
            for copy in ["x", "y"] { domains.append(DomainSpec(name: "c\(i)\(copy)", domid: UInt16(domains.count + 1), label: policy.string(c))) }
        }
        let boot = BootSettings(argo: true, macPermissive: mac, xsm: .flask, flask: .enforcing)
        return ArgoAudit(try ResolvedSystem(inventory: SystemInventory(boot: boot, domains: domains), policy: policy,
                                            booleans: table.booleanValues(setting: setting)))
    }

    @Test(arguments: ExposureCase.all)
    func mustRulesAndPathsEqualAnEnumerationOfAudits(_ c: ExposureCase) throws {
        let policy = try c.policy()
        let table = try ExposureFlowTable(policy: policy)
        let universe = table.universe
        let types = universe.domainTypes.map { policy.typeName($0) }
        let n = universe.contexts.count
        let rules = try Self.rules(types: types, kinds: ["must", "never"], flows: ["send", "channel", "path"], perDomain: ["argo"])
        let report = try UniverseCheck(rules: rules, today: CalendarDate(year: 2026, month: 6, day: 1)!).run(table)
        let broken = Self.broken(report)
        // Device-model relations can add paths the copies (all unrelated) cannot show.
        let deviceModels = (0..<n).contains { i in (0..<n).contains { table.deviceModelsMatter(i, $0) } }
        var mustFails = Set<String>(), pathSeen = Set<String>()
        let typeOf = universe.contexts.map { policy.typeName($0.type) }
        for setting in 0..<table.booleans.settings.count {
            for mac in [false, true] {
                let audit = try Self.copiesAudit(table, setting: setting, mac: mac)
                let graph = ChannelGraph(audit)
                for i in 0..<n {
                    let x = 2 * i
                    if !mac && !audit.domains[x].argo { mustFails.insert("must type:\(typeOf[i]) argo") }
                    let reach = graph.distances(from: x)
                    for j in 0..<n {
                        let y = 2 * j + 1
                        let key = "type:\(typeOf[i]) -> type:\(typeOf[j])"
                        if !mac {
                            if !audit.has(.send, x, y) { mustFails.insert("must \(key) send") }
                            if !audit.has(.channel, x, y) { mustFails.insert("must \(key) channel") }
                            if reach[y] == nil { mustFails.insert("must \(key) path") }
                        }
                        if reach[y] != nil || (i == j && reach[x] != nil) { pathSeen.insert("never \(key) path") }
                    }
                }
            }
        }
        var compared = 0
        for rule in rules.flowRules {
            let summary = rule.summary
            if rule.kind == .must {
                if rule.flow == .path && deviceModels {
                    // The universe may find a path through a device model: broken implies the enumeration fails.
                    if broken.contains(summary) { #expect(mustFails.contains(summary), "\(summary)") }
                } else {
                    #expect(broken.contains(summary) == mustFails.contains(summary), "\(summary)")
                }
                compared += 1
            } else if rule.flow == .path {
                if pathSeen.contains(summary) { #expect(broken.contains(summary), "\(summary): the enumeration has a path") }
                if !deviceModels { #expect(broken.contains(summary) == pathSeen.contains(summary), "\(summary)") }
                compared += 1
            }
        }
        #expect(compared > 50)
        #expect(!mustFails.isEmpty && !pathSeen.isEmpty)
        #expect(report.violations.allSatisfy { $0.counterexample != nil })
    }

    /// Type paths: the chain found is as short as the shortest in the enumeration (or shorter,
    /// through a device model), and nothing is found where the enumeration has no path and no
    /// device model could help.
    @Test(arguments: ExposureCase.all.prefix(2))
    func typePathsAreShortest(_ c: ExposureCase) throws {
        let policy = try c.policy()
        let table = try ExposureFlowTable(policy: policy)
        let universe = table.universe
        let n = universe.contexts.count
        let types = universe.domainTypes
        var best: [String: Int] = [:]
        for setting in 0..<table.booleans.settings.count {
            for mac in [false, true] {
                let audit = try Self.copiesAudit(table, setting: setting, mac: mac)
                let graph = ChannelGraph(audit)
                for i in 0..<n {
                    let reach = graph.distances(from: 2 * i)
                    for j in 0..<n {
                        let key = "\(universe.contexts[i].type)->\(universe.contexts[j].type)"
                        let hops = [reach[2 * j + 1], i == j ? reach[2 * i] : nil].compactMap { $0 }.min()
                        if let hops { best[key] = min(best[key] ?? .max, hops) }
                    }
                }
            }
        }
        var found = 0
        let paths = UniversePaths(table)
        for a in types {
            for b in types {
                let r = try TypePaths(paths: paths, from: .type(policy.typeName(a)), to: .type(policy.typeName(b)), maxHops: nil)
                let expected = best["\(a)->\(b)"]
                if let expected { #expect(r.chain != nil && r.chain!.hops <= expected, "\(policy.typeName(a)) -> \(policy.typeName(b))") }
                if let chain = r.chain {
                    found += 1
                    #expect(r.hops.count == chain.hops && r.counterexample != nil)
                    #expect(r.types.first == policy.typeName(a) && r.types.last == policy.typeName(b))
                }
            }
        }
        #expect(found > 0)
    }
}
