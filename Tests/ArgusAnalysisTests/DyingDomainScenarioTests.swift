import ArgoEngine
import Flask
import Testing
@testable import ArgusAnalysis

/// A destroyed domain that a device model still references stays dying: found by domid (a
/// send gets -ECONNREFUSED, not -ESRCH), its domid taken, until the reference goes.
@Suite struct DyingDomainScenarioTests {
    static let domains = rawDomains + [SimulationDomain(name: "dm", domid: 4, label: "system_u:system_r:dm_t", sid: 13,
                                                        deviceModelTarget: "a2")]

    @Test func sendsNotifiesAndCreationWhileDying() throws {
        let (result, _) = try runScenario("""
        steps:
          - {op: register, domain: a2, aport: 1, partner: any, len: 4096}
          - {op: register, domain: dom0, aport: 3, partner: a2, len: 4096}
          - {op: destroy, domain: a2}
          - {op: sendv, domain: a1, src: {domain: any, aport: 1}, dst: {domain: a2, aport: 1}, iov: ["x"], expect: -ECONNREFUSED, expect_raw: 4294967185}
          - {op: sendv, domain: c3, src: {domain: any, aport: 1}, dst: {domain: a2, aport: 1}, iov: ["x"], expect: -ECONNREFUSED, expect_raw: -ECONNREFUSED}
          - {op: sendv, domain: dm, src: {domain: any, aport: 1}, dst: {domain: a2, aport: 1}, iov: ["x"], expect: -ECONNREFUSED}
          - {op: notify, domain: a1, entries: [{domain: a2, aport: 1, space_required: 1}]}
          - {op: register, domain: a1, aport: 5, partner: a2, len: 4096, expect: -ECONNREFUSED}
          - {op: create, name: again, domid: 2, label: "system_u:system_r:domU_t", expect: -EEXIST}
          - {op: release, domain: a2}
          - {op: sendv, domain: a1, src: {domain: any, aport: 1}, dst: {domain: 2, aport: 1}, iov: ["x"], expect: -ESRCH}
          - {op: create, name: again, domid: 2, label: "system_u:system_r:domU_t", expect: 0}
        """, domains: Self.domains)
        #expect(result.summary.expectationMismatches == 0, "\(result.traceText)")
        #expect(result.trace[2].contains(#""held_by":["dm"]"#), "\(result.trace[2])")
        #expect(traceValue(result.trace[6], "entries") == #"[{"flags":0,"max_message_size":0}]"#, "\(result.trace[6])")
        #expect(result.trace[9] == #"{"step":10,"op":"release","domain":"a2","ret":0,"errno":null,"signals":[]}"#, "\(result.trace[9])")
    }

    /// A dying domain's vcpus are gone: a step by it is an input error.
    @Test func aDyingDomainCannotAct() throws {
        let scenario = try ScenarioParser.parse("""
        steps:
          - {op: destroy, domain: a2}
          - {op: notify, domain: a2}
        """, file: "d.yaml")
        let simulator = try ScenarioSimulator(settings: ArgoBootSettings(), domains: Self.domains)
        do {
            _ = try simulator.run(scenario)
            Issue.record("no error")
        } catch {
            #expect(error.description == "d.yaml:3: error: domain 'a2' is dying at this step: it cannot act")
        }
    }

    /// Destroying the device model drops its hold: the dying target's destruction completes
    /// in the same step. Without a hold, destroy frees the domid at once (-ESRCH after).
    @Test func destroyingTheDeviceModelFreesItsTarget() throws {
        let (result, _) = try runScenario("""
        steps:
          - {op: destroy, domain: a2}
          - {op: destroy, domain: dm}
          - {op: sendv, domain: a1, src: {domain: any, aport: 1}, dst: {domain: a2, aport: 1}, iov: ["x"], expect: -ESRCH}
          - {op: destroy, domain: c3}
          - {op: create, name: again, domid: 2, label: "system_u:system_r:domU_t", expect: 0}
          - {op: create, name: c3again, domid: 3, label: "system_u:system_r:domU_t", expect: 0}
        """, domains: Self.domains)
        #expect(result.summary.expectationMismatches == 0, "\(result.traceText)")
        #expect(result.trace[1].contains(#""also_freed":["a2"]"#), "\(result.trace[1])")
        #expect(!result.trace[3].contains("held_by"), "\(result.trace[3])")
    }

    @Test func releaseOfALiveDomainIsAnInputError() throws {
        let scenario = try ScenarioParser.parse("steps:\n  - {op: release, domain: a1}\n", file: "r.yaml")
        let simulator = try ScenarioSimulator(settings: ArgoBootSettings(), domains: Self.domains)
        #expect(throws: InputError.self) { _ = try simulator.run(scenario) }
    }
}
