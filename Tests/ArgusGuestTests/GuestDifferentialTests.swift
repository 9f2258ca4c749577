import ArgusGuest
import DecisionTable
import Flask
import Sepol
import TestSupport
import Testing

/// The guest decision table against libsepol's `sepol_compute_av` on Linux policies: every
/// process type's context × every object type (each at every level in play) for `chr_file`,
/// the full vector (allowed, auditallow, auditdeny), with the booleans each way.
@Suite(.serialized) struct GuestDifferentialTests {
    struct Outcome {
        var compared = 0
        var processes = 0
        var mismatches: [String] = []
    }

    /// Object contexts: every concrete type that is not a process, as `object_r` with the first
    /// user, at each level given (nil without MLS).
    static func objectContexts(_ policy: Policy, guest: GuestPolicy, levels: [String?]) -> [String] {
        let processTypes = Set(guest.processes.map(\.type))
        let user = policy.image.users[0].name
        return policy.concreteTypes.filter { !processTypes.contains($0.value) }.flatMap { t in
            levels.map { level in "\(user):object_r:\(t.name)" + (level.map { ":" + $0 } ?? "") }
        }
    }

    /// Builds the table as `GuestDecisionTable` does and compares every cell with libsepol.
    /// `oracleBooleans` defaults to `booleans` (a different value must make the test fail).
    static func compare(
        _ policy: Policy, levels: [String?], booleans: [String: Bool] = [:], oracleBooleans: [String: Bool]? = nil
    ) throws -> Outcome {
        let guest = try GuestPolicy(policy: policy)
        let objects = objectContexts(policy, guest: guest, levels: levels)
        let devices = try objects.map { GuestDevice(path: $0, context: try policy.context($0), policy: policy) }
        var overrides: [UInt32: Bool] = [:]
        for (name, value) in booleans { overrides[try #require(policy.booleanValue(name))] = value }
        let evaluator = AccessEvaluator(TypeEnforcement(policy: policy, booleanOverrides: overrides))
        let table = try DecisionTable(evaluator: evaluator, contexts: guest.processes.map(\.context) + devices.map(\.context),
                                      classes: ["chr_file"])
        let chrFile = try #require(policy.classValue("chr_file"))
        // What the command reports (open/read/write/ioctl), from the same table.
        let reported = try GuestDecisionTable.compute(guest, devices: devices, booleans: booleans)
        let masks = ArgoDevicePermissions.names.map { (policy.permissionMask($0.name, inClass: chrFile)!, $0.permission) }
        var outcome = Outcome(processes: guest.processes.count)
        try SepolOracle.with(policy: policy.binary) { oracle in
            for (name, value) in oracleBooleans ?? booleans { _ = oracle.setBoolean(policy.booleanValue(name)!, to: value) }
            for (p, process) in guest.processes.enumerated() {
                let ss = try #require(oracle.sid(for: process.contextText), "libsepol rejects \(process.contextText)")
                for (d, device) in devices.enumerated() {
                    let ts = try #require(oracle.sid(for: device.contextText), "libsepol rejects \(device.contextText)")
                    let theirs = try #require(oracle.computeAV(source: ss, target: ts, tclass: chrFile))
                    let ours = table.decision(table.sid(of: process.context)!, table.sid(of: device.context)!, tclass: chrFile)
                    let expected: ArgoDevicePermissions = masks.reduce(into: []) { if theirs.allowed & $1.0 != 0 { $0.insert($1.1) } }
                    outcome.compared += 1
                    if ours != theirs || reported.allowed[p][d] != expected {
                        outcome.mismatches.append("\(process.contextText) -> \(device.contextText): libsepol \(theirs), argus \(ours), reported \(reported.allowed[p][d].names)")
                    }
                }
            }
        }
        return outcome
    }

    static let exampleLevels: [String?] = ["s0", "s0:c1", "s0:c0,c1", "s0-s0:c0.c15"]

    @Test(arguments: [false, true])
    func examplePolicyEachBooleanValue(_ value: Bool) throws {
        let policy = try GuestFixtures.examplePolicy()
        let outcome = try Self.compare(policy, levels: Self.exampleLevels, booleans: ["xenmgr_use_argo": value])
        #expect(outcome.processes == 8)
        #expect(outcome.compared == 8 * 7 * Self.exampleLevels.count)
        #expect(outcome.mismatches.isEmpty, "\(outcome.mismatches.prefix(5).joined(separator: "\n"))")
    }

    /// The comparison can fail: the oracle with the boolean on, the table with it off.
    @Test func harnessNoticesADifferentBoolean() throws {
        let policy = try GuestFixtures.examplePolicy()
        let outcome = try Self.compare(policy, levels: ["s0"], booleans: ["xenmgr_use_argo": false],
                                       oracleBooleans: ["xenmgr_use_argo": true])
        #expect(outcome.mismatches.count == 1, "only xenmgr_t on argo_device_t (s0) should differ")
        #expect(outcome.mismatches.allSatisfy { $0.hasPrefix("system_u:system_r:xenmgr_t:s0-s0:c0.c15 -> system_u:object_r:argo_device_t:s0:") })
    }

    /// Hand-written Linux variants, each exercising what the example does not: no MLS, type
    /// bounds, an if/else boolean pair, a role constraint, auditallow, a bigger MCS range.
    @Test(arguments: LinuxPolicyVariants.all.indices)
    func handWrittenVariant(_ index: Int) throws {
        let variant = LinuxPolicyVariants.all[index]
        let policy = try GuestFixtures.withFile("policy.conf", variant.text) { try LinuxPolicyLoader.load($0) }
        #expect(policy.image.mls == (variant.levels != [nil]))
        for booleans in variant.booleanSettings {
            let outcome = try Self.compare(policy, levels: variant.levels, booleans: booleans)
            #expect(outcome.processes >= 3, "\(variant.name)")
            #expect(outcome.compared >= 3 * 4, "\(variant.name)")
            #expect(outcome.mismatches.isEmpty, "\(variant.name) \(booleans): \(outcome.mismatches.prefix(5).joined(separator: "\n"))")
        }
    }
}
