import ArgoEngine
import ArgusAnalysis
import DecisionTable
import Flask
import Foundation
import PolicyGenerator
import Sepol
import XenProfile

/// Policy loading, table lookups and audits, next to libsepol doing the same work.
enum PolicyBenchmarks {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var examplePath: String { root.appendingPathComponent("policy/example").path }
    static var flaskPath: String { root.appendingPathComponent("policy/flask").path }

    /// A seeded 2,000-type policy with every generator feature but MLS.
    static func largePolicy() throws -> Policy {
        func read(_ name: String) throws -> String { try String(contentsOfFile: flaskPath + "/" + name, encoding: .utf8) }
        let generated = PolicyGenerator(seed: 2000, types: 2_000, attributes: 40,
                                        features: PolicyGenerator.Features.all.subtracting(.mls), contextLimit: 10)
            .generate(definitions: (try read("security_classes"), try read("initial_sids"), try read("access_vectors")))
        let binary = try Checkpolicy.compile(generated.policyConf, mls: false)
        return try PolicyLoader(flaskDirectory: flaskPath).loadBinary(binary, path: "generated-2000")
    }

    static func loading(report: inout Report) throws {
        let loader = try PolicyLoader(flaskDirectory: flaskPath)
        let tree = try Clock.median(runs: 5) { _ = try loader.load(examplePath) }
        let example = try loader.load(examplePath)
        let binary = try Clock.median(runs: 50) { _ = try loader.loadBinary(example.binary, path: "example") }
        let rawExample = try Clock.median(runs: 50) { _ = try LibSepol.readPolicy(example.binary) }
        report.add("load example policy source tree (m4 + checkpolicy + libsepol)", String(format: "%.1f ms", tree * 1e3), baseline: "")
        report.add("load example binary policy", String(format: "%.3f ms", binary * 1e3),
                   baseline: String(format: "libsepol policydb_read + copy-out %.3f ms", rawExample * 1e3))
        let large = try largePolicy()
        let largeLoad = try Clock.median(runs: 10) { _ = try loader.loadBinary(large.binary, path: "large") }
        let oracleLoad = try Clock.median(runs: 10) { try SepolOracle.with(policy: large.binary) { _ in } }
        report.add("load 2,000-type binary policy", String(format: "%.2f ms", largeLoad * 1e3),
                   baseline: String(format: "libsepol policydb_read + SID table %.2f ms", oracleLoad * 1e3), ratio: oracleLoad / largeLoad)
    }

    static func lookups(report: inout Report) throws {
        let policy = try largePolicy()
        let contexts = try validContexts(policy, limit: 1_000).map { try policy.context($0) }
        let evaluator = AccessEvaluator(TypeEnforcement(policy: policy))
        var table: DecisionTable?
        let build = try Clock.median(runs: 3) { table = try DecisionTable(evaluator: evaluator, contexts: contexts) }
        let perPair = try Clock.median(runs: 3) { _ = try DecisionTable(evaluator: evaluator, contexts: contexts, evaluation: .perPair) }
        let t = table!
        let slot = t.slot(of: policy.classValue("argo")!)!
        let n = UInt32(t.sids.count)
        var rng = SplitMix64(seed: 99)
        let pairs = (0..<1_000_000).map { _ in (UInt32(rng.below(Int(n))) + 1, UInt32(rng.below(Int(n))) + 1) }
        var sink: UInt32 = 0
        let ours = Clock.median(runs: 5) {
            for (s, d) in pairs { sink ^= t.decision(s, d, slot: slot).allowed }
        } / Double(pairs.count)
        let argo = policy.classValue("argo")!
        let theirs = try SepolOracle.with(policy: policy.binary) { oracle -> Double in
            let map = (1...n).map { sid in t.context(of: sid).flatMap { oracle.sid(for: policy.string($0)) } ?? 0 }
            let sample = pairs.prefix(200_000).map { (map[Int($0.0) - 1], map[Int($0.1) - 1]) }
            return Clock.median(runs: 3) {
                for (s, d) in sample { sink ^= oracle.computeAV(source: s, target: d, tclass: argo)?.allowed ?? 0 }
            } / Double(sample.count)
        }
        report.add("decision table build (2,000 types, \(n) SIDs, class argo)", String(format: "%.1f ms", build * 1e3),
                   baseline: String(format: "per-pair build %.1f ms", perPair * 1e3), ratio: perPair / build)
        report.add("argo decision lookup", String(format: "%.2f ns", ours * 1e9),
                   baseline: String(format: "sepol_compute_av %.0f ns", theirs * 1e9), ratio: theirs / ours)
        if sink == 0x1234_5678 { print("") }
    }

    static func validContexts(_ policy: Policy, limit: Int) throws -> [String] {
        var out: [String] = []
        for user in policy.image.users {
            for role in user.roles {
                for type in policy.image.roles[Int(role) - 1].types where !policy.type(type).isAttribute {
                    out.append("\(user.name):\(policy.roleName(role)):\(policy.typeName(type))")
                    if out.count >= limit { return out }
                }
            }
        }
        return out
    }

    /// A seeded 1,000-type policy with 20 users and 6 roles, and constraints over users, roles
    /// and types (every generator feature but MLS).
    static func tenantPolicy() throws -> Policy {
        func read(_ name: String) throws -> String { try String(contentsOfFile: flaskPath + "/" + name, encoding: .utf8) }
        let generated = PolicyGenerator(seed: 1_000, types: 1_000, attributes: 20,
                                        features: PolicyGenerator.Features.all.subtracting(.mls),
                                        constraints: 6, users: 20, roles: 6, contextLimit: 10)
            .generate(definitions: (try read("security_classes"), try read("initial_sids"), try read("access_vectors")))
        let binary = try Checkpolicy.compile(generated.policyConf, mls: false)
        return try PolicyLoader(flaskDirectory: flaskPath).loadBinary(binary, path: "generated-1000-tenants")
    }

    static func auditAtScale(report: inout Report) throws {
        // 1M pairs over the tenant policy, labels taken round-robin over the users.
        let tenants = try tenantPolicy()
        var byUser: [[String]] = []
        for user in tenants.image.users {
            var own: [String] = []
            for role in user.roles {
                for type in tenants.image.roles[Int(role) - 1].types where !tenants.type(type).isAttribute {
                    own.append("\(user.name):\(tenants.roleName(role)):\(tenants.typeName(type))")
                }
            }
            if !own.isEmpty { byUser.append(own) }
        }
        let tenantLabels = (0..<1_000).map { i in byUser[i % byUser.count][(i / byUser.count) % byUser[i % byUser.count].count] }
        try auditAtScale(policy: tenants, labels: tenantLabels, name: "audit 1,000 domains of 20 users, 1,000-type policy with constraints (1M pairs", report: &report)
        // AUDIT_ONLY_1M set: the 1M-pair case alone (for profiling it).
        if ProcessInfo.processInfo.environment["AUDIT_ONLY_1M"] != nil { return }
        let policy = try largePolicy()
        let labels = try validContexts(policy, limit: 2_000)
        try auditAtScale(policy: policy, labels: labels, name: "audit 2,000 domains x 2,000 types (4M pairs", report: &report)
        // AUDIT_DUMP_DIR set: the 4M-pair case's binary policy and system file are written there,
        // for timing `argus audit` on them as a process (peak RSS: README, "Speed").
        if let directory = ProcessInfo.processInfo.environment["AUDIT_DUMP_DIR"] {
            try Data(policy.binary).write(to: URL(fileURLWithPath: directory).appendingPathComponent("generated-2000.policy"))
            var toml = "[boot]\ncmdline = \"argo=1,mac-permissive=1\"\n"
            for (i, label) in labels.enumerated() {
                toml += "[[domain]]\nname = \"vm\(i)\"\ndomid = \(i)\nlabel = \"\(label)\"\n" + (i == 0 ? "privileged = true\n" : "")
            }
            try toml.write(toFile: directory + "/generated-2000.toml", atomically: true, encoding: .utf8)
        }
    }

    /// The whole pipeline from a loaded policy: labels resolved, table built, audit, JSON
    /// rendered (counted, not kept), next to libsepol answering the same hook questions.
    static func auditAtScale(policy: Policy, labels: [String], name: String, report: inout Report) throws {
        let count = labels.count
        let domains = (0..<count).map { i in
            DomainSpec(name: "vm\(i)", domid: UInt16(i), label: labels[i], privileged: i == 0)
        }
        let inventory = SystemInventory(boot: BootSettings(argo: true, macPermissive: true), domains: domains, path: "generated.toml")
        var bytes = 0
        var last: ArgoAudit?
        // AUDIT_RUNS (default 5) timings; min, median and max printed, then each stage's.
        let runs = ProcessInfo.processInfo.environment["AUDIT_RUNS"].flatMap { Int($0) } ?? 5
        var times: [Double] = [], stages: [[Double]] = [[], [], []]
        for _ in 0..<runs {
            let start = Clock.now()
            let system = try ResolvedSystem(inventory: inventory, policy: policy)
            let built = Clock.now()
            let audit = ArgoAudit(system)
            let audited = Clock.now()
            bytes = 0
            AuditRenderer.json(audit, policyPath: "generated") { bytes += $0.utf8.count }
            let end = Clock.now()
            last = audit
            times.append(end - start)
            stages[0].append(built - start); stages[1].append(audited - built); stages[2].append(end - audited)
        }
        func ms(_ t: [Double]) -> String {
            let s = t.sorted()
            return String(format: "min %.2f / median %.2f / max %.2f ms", s[0] * 1e3, s[s.count / 2] * 1e3, s[s.count - 1] * 1e3)
        }
        print("  \(count * count) pairs, \(runs) runs: \(ms(times)); resolve + table \(ms(stages[0])), audit \(ms(stages[1])), JSON \(ms(stages[2]))")
        let ours = times.sorted()[times.count / 2]
        let channels = last!.pairs.reduce(0) { $0 + ($1 & 8 != 0 ? 1 : 0) }
        // libsepol route: the same hook questions through sepol_compute_av, on a sample of pairs.
        let argo = policy.classValue("argo")!, domainClass = policy.classValue("domain")!
        let perPair = try SepolOracle.with(policy: policy.binary) { oracle -> Double in
            let sids = domains.map { oracle.sid(for: $0.label)! }
            var rng = SplitMix64(seed: 5)
            var sink: UInt32 = 0
            let sample = 50_000
            let start = Clock.now()
            for _ in 0..<sample {
                let i = rng.below(domains.count), j = rng.below(domains.count)
                let target = i == j ? oracle.transition(source: sids[i], target: sids[i], tclass: domainClass)! : sids[j]
                let back = i == j ? target : sids[i]
                sink ^= oracle.computeAV(source: sids[i], target: target, tclass: argo)!.allowed
                sink ^= oracle.computeAV(source: sids[j], target: back, tclass: argo)!.allowed
            }
            if sink == 0xdead_beef { print("") }
            return (Clock.now() - start) / Double(sample)
        }
        let libsepol = perPair * Double(count * count)
        report.add("\(name), JSON \(bytes / 1024) KiB, \(channels) channels)",
                   String(format: "%.1f ms", ours * 1e3),
                   baseline: String(format: "libsepol route %.2f s (measured on 50k pairs, scaled to %d pairs)", libsepol, count * count),
                   ratio: libsepol / ours)
    }

    /// Runs a tool with posix_spawn (Foundation's Process adds tens of ms of its own), output discarded.
    static func run(_ tool: String, _ args: [String]) throws {
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([tool] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, tool, &actions, nil, argv, environ) == 0 else { throw InputError("cannot run \(tool)") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw InputError("\(tool) exited with status \(status)") }
    }
}
