import DecisionTable
import Flask
import PolicyGenerator
import Sepol

/// Compares Argus's decision table with libsepol's security server, entry by entry.
public enum Differential {
    public struct Mismatch: Sendable, CustomStringConvertible {
        public var what: String
        public var description: String { what }
    }

    public struct Report: Sendable {
        public var comparedDecisions = 0
        public var comparedTransitions = 0
        public var mismatches: [Mismatch] = []
    }

    /// Every context `user:role:type` (with the user's default level under MLS) the policy allows.
    public static func validContexts(of policy: Policy, limit: Int = .max) -> [String] {
        var out: [String] = []
        for user in policy.image.users {
            for role in user.roles {
                for type in policy.image.roles[Int(role) - 1].types where !policy.type(type).isAttribute {
                    var text = "\(user.name):\(policy.roleName(role)):\(policy.typeName(type))"
                    if let level = user.defaultLevel { text += ":" + policy.string(level) }
                    out.append(text)
                    if out.count >= limit { return out }
                }
            }
        }
        return out
    }

    /// A generated policy as checkpolicy compiles it and Argus loads it, with its contexts: the
    /// generator's and up to `validContexts` more the policy allows, parsed and in order.
    public static func generatedPolicy(
        _ generator: PolicyGenerator, path: String, validContexts limit: Int
    ) throws -> (generated: GeneratedPolicy, policy: Policy, contexts: [SecurityContext]) {
        let generated = generator.generate(definitions: try Fixtures.definitionTexts())
        let binary = try Checkpolicy.compile(generated.policyConf, mls: generated.mls)
        let policy = try PolicyLoader(initialSIDNames: []).loadBinary(binary, path: path)
        let contexts = try Array(Set(generated.contexts + validContexts(of: policy, limit: limit))).sorted()
            .map { text in try policy.context(text) }
        return (generated, policy, contexts)
    }

    /// Builds the table for `contexts` with the given boolean values and compares every pair
    /// of SIDs in play, on every class in `classes`, plus the self SID of every SID.
    public static func compare(
        policy: Policy, contexts: [String], booleans: [String: Bool] = [:], classes: [String]? = nil
    ) throws -> Report {
        var overrides: [UInt32: Bool] = [:]
        for (name, value) in booleans { overrides[policy.booleanValue(name)!] = value }
        let evaluator = AccessEvaluator(TypeEnforcement(policy: policy, booleanOverrides: overrides))
        let parsed = try contexts.map { try policy.context($0) }
        let classNames = classes ?? policy.image.classes.map(\.name)
        let table = try DecisionTable(evaluator: evaluator, contexts: parsed, classes: classNames)
        var report = Report()
        try SepolOracle.with(policy: policy.binary) { oracle in
            for (name, value) in booleans { _ = oracle.setBoolean(policy.booleanValue(name)!, to: value) }
            // Map our SIDs to the oracle's through the context strings.
            var oracleSID: [UInt32] = []
            for sid in 1...UInt32(table.sids.count) {
                guard let c = table.context(of: sid) else { oracleSID.append(0); continue }
                guard let o = oracle.sid(for: policy.string(c)) else {
                    report.mismatches.append(.init(what: "libsepol rejects context \(policy.string(c))"))
                    oracleSID.append(0)
                    continue
                }
                oracleSID.append(o)
            }
            let domainClass = policy.classValue("domain")
            for s in 1...UInt32(table.sids.count) where oracleSID[Int(s) - 1] != 0 {
                if let domainClass {
                    let expected = oracle.transition(source: oracleSID[Int(s) - 1], target: oracleSID[Int(s) - 1], tclass: domainClass)
                        .flatMap { oracle.context(of: $0) }
                    let ours = table.context(of: table.selfSID(of: s)).map { policy.string($0) }
                    report.comparedTransitions += 1
                    if expected != ours {
                        report.mismatches.append(.init(what: "self SID of \(oracle.context(of: oracleSID[Int(s) - 1]) ?? "?"): libsepol \(expected ?? "error"), argus \(ours ?? "none")"))
                    }
                }
                for t in 1...UInt32(table.sids.count) where oracleSID[Int(t) - 1] != 0 {
                    for name in classNames {
                        let tclass = policy.classValue(name)!
                        let ours = table.decision(s, t, tclass: tclass)
                        let theirs = oracle.computeAV(source: oracleSID[Int(s) - 1], target: oracleSID[Int(t) - 1], tclass: tclass)
                        report.comparedDecisions += 1
                        let same = theirs.map { $0.allowed == ours.allowed && $0.auditallow == ours.auditallow && $0.auditdeny == ours.auditdeny } ?? false
                        if !same && report.mismatches.count < 20 {
                            report.mismatches.append(.init(what: "\(policy.string(table.context(of: s)!)) -> \(policy.string(table.context(of: t)!)) class \(name): libsepol \(String(describing: theirs)), argus \(ours)"))
                        }
                    }
                }
            }
        }
        return report
    }
}
