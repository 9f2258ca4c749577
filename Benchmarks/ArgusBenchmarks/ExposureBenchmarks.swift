import ArgusExposure
import DecisionTable
import Flask
import Foundation
import PolicyGenerator
import Sepol

/// `argus exposure`: the example cold, and a generated 2,000-type policy with constraints on
/// users and roles and 8 booleans, next to libsepol computing the same decisions.
enum ExposureBenchmarks {
    /// 2,000 general types, extra users and roles, constraints over them, 8 booleans.
    static func largePolicy() throws -> Policy {
        let flask = PolicyBenchmarks.flaskPath
        func read(_ name: String) throws -> String { try String(contentsOfFile: flask + "/" + name, encoding: .utf8) }
        let generated = PolicyGenerator(seed: 2_010, types: 2_000, attributes: 40,
                                        features: [.booleans, .constraints, .usersRoles], booleans: 8, constraints: 6)
            .generate(definitions: (try read("security_classes"), try read("initial_sids"), try read("access_vectors")))
        let binary = try Checkpolicy.compile(generated.policyConf, mls: false)
        return try PolicyLoader(flaskDirectory: flask).loadBinary(binary, path: "generated-2000-exposure")
    }

    static func run(report: inout Report) throws {
        try cold(report: &report)
        try large(report: &report)
    }

    /// Wall time of the `argus exposure` process on the example source tree and binary.
    static func cold(report: inout Report) throws {
        let argus = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("argus").path
        guard FileManager.default.isExecutableFile(atPath: argus) else {
            print("cold exposure: skipped (no argus binary beside the benchmarks: build it with -c release)")
            return
        }
        let policy = try PolicyLoader(flaskDirectory: PolicyBenchmarks.flaskPath).load(PolicyBenchmarks.examplePath)
        let baseline = try libsepolSeconds(policy)
        try withScratchDirectory { dir in
            let file = dir.appendingPathComponent("example.policy").path
            try Data(policy.binary).write(to: URL(fileURLWithPath: file))
            let tree = try Clock.median(runs: 5) { try PolicyBenchmarks.run(argus, ["exposure", PolicyBenchmarks.examplePath, "--format", "json"]) }
            let binary = try Clock.median(runs: 5) { try PolicyBenchmarks.run(argus, ["exposure", file, "--format", "json"]) }
            report.add("cold argus exposure, example source tree (m4 + checkpolicy, process wall)", String(format: "%.0f ms", tree * 1e3), baseline: "")
            report.add("cold argus exposure, example binary policy (process wall)", String(format: "%.0f ms", binary * 1e3),
                       baseline: String(format: "libsepol sepol_compute_av for the same decisions %.0f ms", baseline.seconds * 1e3)
                           + " (\(baseline.decisions) decisions, \(baseline.measured) measured)",
                       ratio: baseline.seconds / binary)
        }
    }

    /// In-process exposure of the generated 2,000-type policy.
    static func large(report: inout Report) throws {
        let policy = try largePolicy()
        var result: ExposureReport?
        let ours = try Clock.median(runs: 1) { result = try Exposure.analyse(policy: policy) }
        let r = result!
        let baseline = try libsepolSeconds(policy)
        let pairs = r.pairs.count
        report.add("exposure of a 2,000-type policy (\(r.contextCount) contexts, \(r.typeCount) types, \(r.settingCount) boolean settings; \(pairs) possible type pairs, \(r.counterexamples.count) counterexamples audited)",
                   String(format: "%.2f s", ours),
                   baseline: String(format: "libsepol sepol_compute_av for the same decisions %.1f s", baseline.seconds)
                       + " (\(baseline.decisions) decisions; \(baseline.measured) measured, scaled)",
                   ratio: baseline.seconds / ours)
    }

    /// What libsepol takes to compute the decisions exposure needs, at the least: for every
    /// boolean setting, each context against the `xen` SID, and for every ordered pair of contexts
    /// the forward decision and the reply (`register_single_source` back). Relations beyond
    /// unrelated are left out, which favours libsepol. Sampled when large, then scaled.
    static func libsepolSeconds(_ policy: Policy) throws -> (seconds: Double, decisions: Int, measured: Int) {
        let booleans = try ExposureBooleans(policy: policy, fixed: [:], limit: 16)
        let universe = ExposureUniverse(policy: policy, evaluator: AccessEvaluator(TypeEnforcement(policy: policy)))
        let n = universe.contexts.count
        let settings = booleans.settings.count
        let decisions = settings * (n + 2 * n * n)
        let argo = policy.classValue("argo")!
        let xen = policy.initialSID(named: "xen")!.number
        return try SepolOracle.with(policy: policy.binary) { oracle in
            let sids = universe.contexts.map { oracle.sid(for: policy.string($0))! }
            var rng = SplitMix64(seed: 7)
            var measured = 0
            var elapsed = 0.0
            var sink: UInt32 = 0
            let sampledSettings = min(settings, 8)
            let perSetting = min(n * n, 25_000)
            for k in 0..<sampledSettings {
                let setting = booleans.settings[k * settings / sampledSettings]
                for (i, v) in setting.enumerated() { _ = oracle.setBoolean(UInt32(i + 1), to: v) }
                let pairs = (0..<perSetting).map { _ in (sids[rng.below(n)], sids[rng.below(n)]) }
                let start = Clock.now()
                for s in sids { sink ^= oracle.computeAV(source: s, target: xen, tclass: argo)?.allowed ?? 0 }
                for (s, t) in pairs {
                    sink ^= oracle.computeAV(source: s, target: t, tclass: argo)?.allowed ?? 0
                    sink ^= oracle.computeAV(source: t, target: s, tclass: argo)?.allowed ?? 0
                }
                elapsed += Clock.now() - start
                measured += n + 2 * perSetting
            }
            if sink == 0xdead_beef { print("") }
            return (elapsed / Double(measured) * Double(decisions), decisions, measured)
        }
    }
}
