import ArgoEngine
import Flask
import Testing
@testable import ArgusAnalysis

let standardDomains = [
    SimulationDomain(name: "dom0", domid: 0, label: "system_u:system_r:dom0_t", sid: 2, privileged: true),
    SimulationDomain(name: "a1", domid: 1, label: "system_u:system_r:domU_t", sid: 10),
    SimulationDomain(name: "a2", domid: 2, label: "system_u:system_r:domU_t", sid: 11),
]

func simulate(_ yaml: String, settings: ArgoBootSettings = ArgoBootSettings()) throws -> (SimulationResult, ScenarioSimulator) {
    let scenario = try ScenarioParser.parse(yaml, file: "test.yaml")
    let simulator = try ScenarioSimulator(settings: settings, domains: standardDomains, resolveLabel: { $0.hasSuffix("domU_t") ? 10 : nil })
    return (try simulator.run(scenario), simulator)
}

@Suite struct ScenarioRunnerTests {
    static let basic = """
    steps:
      - {op: register, domain: a1, aport: 1, partner: dom0, len: 4032}
      - {op: sendv, domain: dom0, src: {domain: any, aport: 7}, dst: {domain: a1, aport: 1}, type: 0x12345678,
         iov: ["text", {hex: "00ff"}, {len: 2}], expect: 8}
      - {op: notify, domain: dom0, entries: [{domain: a1, aport: 1, space_required: 100}]}
      - {op: read, domain: a1, aport: 1, partner: dom0}
      - {op: set_rx_ptr, domain: a1, aport: 1, partner: dom0, value: 17}
      - {op: unregister, domain: a1, aport: 1, partner: dom0}
      - {op: unregister, domain: a1, aport: 1, partner: dom0, expect: -ENOENT}
      - {op: destroy, domain: a1}
      - {op: create, name: late, domid: 9, label: "system_u:system_r:domU_t"}
      - {op: sendv, domain: late, src: {domain: 9, aport: 1}, dst: {domain: a1, aport: 1}, expect: -ESRCH}
    """

    @Test func traceIsExact() throws {
        let (result, _) = try simulate(Self.basic)
        #expect(result.trace == [
            #"{"step":1,"op":"register","domain":"a1","ret":0,"errno":null,"signals":[]}"#,
            #"{"step":2,"op":"sendv","domain":"dom0","ret":8,"errno":null,"signals":["a1"],"expect":8,"expect_met":true}"#,
            #"{"step":3,"op":"notify","domain":"dom0","ret":0,"errno":null,"entries":[{"flags":9,"max_message_size":4000}],"signals":[]}"#,
            #"{"step":4,"op":"read","domain":"a1","ret":0,"errno":null,"messages":[{"source_domain":0,"source_aport":7,"type":305419896,"len":8,"data_hex":"7465787400ff0000"}],"signals":[]}"#,
            #"{"step":5,"op":"set_rx_ptr","domain":"a1","ret":0,"errno":null,"signals":[]}"#,
            #"{"step":6,"op":"unregister","domain":"a1","ret":0,"errno":null,"signals":[]}"#,
            #"{"step":7,"op":"unregister","domain":"a1","ret":-2,"errno":"ENOENT","signals":[],"expect":-2,"expect_met":true}"#,
            #"{"step":8,"op":"destroy","domain":"a1","ret":0,"errno":null,"signals":[]}"#,
            #"{"step":9,"op":"create","domain":"late","ret":0,"errno":null,"signals":[]}"#,
            #"{"step":10,"op":"sendv","domain":"late","ret":-3,"errno":"ESRCH","signals":[],"expect":-3,"expect_met":true}"#,
        ])
        #expect(result.summary.steps == 10)
        #expect(result.summary.successes == 8)
        #expect(result.summary.failuresByErrno == ["ENOENT": 1, "ESRCH": 1])
        #expect(result.summary.messagesDelivered == 1)
        #expect(result.summary.bytesDelivered == 8)
        #expect(result.summary.expectationMismatches == 0)
    }

    @Test func runsAreDeterministic() throws {
        let (first, _) = try simulate(Self.basic)
        let (second, _) = try simulate(Self.basic)
        #expect(first.traceText == second.traceText)
        #expect(first.summary.jsonLine == second.summary.jsonLine)
        #expect(!first.traceText.isEmpty)
    }

    @Test func mismatchesAreCounted() throws {
        let (result, _) = try simulate("""
        steps:
          - {op: unregister, domain: a1, aport: 5, partner: any, expect: 0}
          - {op: register, domain: a1, aport: 5, partner: any, len: 64, expect: -EPERM}
        """)
        #expect(result.summary.expectationMismatches == 1)
        #expect(result.summary.mismatchLines == [2])
        #expect(result.trace[0].hasSuffix(#""expect":0,"expect_met":false}"#))
    }

    /// sendv's late errors: `ret` is the raw value a 64-bit guest's register holds, `ret_int32`
    /// and `errno` what its driver reads; `expect` matches the int view, `expect_raw` the raw one.
    @Test func rawAndIntViewsOfSendv() throws {
        let (result, _) = try simulate("""
        steps:
          - {op: sendv, domain: a1, src: {domain: a1, aport: 1}, dst: {domain: dom0, aport: 77}, iov: ["x"], expect: -ECONNREFUSED, expect_raw: 4294967185}
          - {op: sendv, domain: a1, src: {domain: a1, aport: 1}, dst: {domain: dom0, aport: 77}, iov: ["x"], expect_raw: -ECONNREFUSED}
        """)
        #expect(result.trace[0].contains(#""ret":4294967185,"ret_int32":-111,"errno":"ECONNREFUSED""#), "\(result.trace[0])")
        #expect(result.trace[0].hasSuffix(#""expect":-111,"expect_raw":4294967185,"expect_met":true}"#), "\(result.trace[0])")
        #expect(result.summary.expectationMismatches == 1 && result.summary.mismatchLines == [3])
        #expect(result.summary.failuresByErrno["ECONNREFUSED"] == 2, "failures are counted from the int view")
    }

    @Test func ringDumpHoldsHeaderAndData() throws {
        let (_, simulator) = try simulate("""
        steps:
          - {op: register, domain: a1, aport: 3, partner: a2, len: 64}
          - {op: sendv, domain: a2, src: {domain: a2, aport: 4}, dst: {domain: a1, aport: 3}, type: 1, iov: [{hex: "aabb"}]}
        """)
        let dumps = simulator.ringDumps()
        #expect(dumps.map(\.fileName) == ["a1-3-a2.ring"])
        let bytes = try #require(dumps.first?.bytes)
        #expect(bytes.count == 128)
        #expect(Array(bytes[4 ..< 8]) == [32, 0, 0, 0])
        #expect(Array(bytes[64 ..< 82]) == [18, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0xaa, 0xbb])
    }

    @Test func badYAMLHasALine() {
        do {
            _ = try ScenarioParser.parse("steps:\n  - {op: register, domain: a1\n", file: "bad.yaml")
            Issue.record("no error")
        } catch {
            #expect(error.location?.file == "bad.yaml")
            #expect(error.location?.line != nil)
        }
    }

    @Test(arguments: [
        ("steps:\n  - {op: launch, domain: a1}\n", 2, "unknown op 'launch'"),
        ("steps:\n  - {op: register, domain: a1, aport: 1, partner: dom0}\n", 2, "missing 'len'"),
        ("steps:\n  - op: sendv\n    domain: a1\n    src: {domain: a1, aport: x}\n    dst: {domain: a2, aport: 1}\n", 4, "'aport' must be an integer"),
        ("steps:\n  - {op: read, domain: a1, aport: 1, partner: dom0, bogus: 1}\n", 2, "unknown key 'bogus'"),
        ("steps:\n  - {op: unregister, domain: a1, aport: 1, partner: dom0, expect: -EWHAT}\n", 2, "unknown errno"),
    ])
    func badStepsAreInputErrors(yaml: String, line: Int, message: String) {
        do {
            _ = try ScenarioParser.parse(yaml, file: "s.yaml")
            Issue.record("no error for \(yaml)")
        } catch {
            #expect(error.location?.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func unknownDomainIsAnInputErrorAtItsLine() throws {
        let scenario = try ScenarioParser.parse("steps:\n  - {op: destroy, domain: a1}\n  - {op: read, domain: ghost, aport: 1, partner: a1}\n", file: "g.yaml")
        let simulator = try ScenarioSimulator(settings: ArgoBootSettings(), domains: standardDomains)
        do {
            _ = try simulator.run(scenario)
            Issue.record("no error")
        } catch {
            #expect(error.description == "g.yaml:3: error: unknown domain 'ghost'")
        }
    }

    @Test func exampleScenarioParses() throws {
        // The example shipped in examples/scenarios/basic.yaml, inlined so the test needs no files.
        let (result, _) = try simulate("""
        steps:
          - {op: register, domain: a1, aport: 1, partner: dom0, len: 4032, expect: 0}
          - {op: sendv, domain: dom0, src: {domain: any, aport: 7}, dst: {domain: a1, aport: 1}, type: 0x12345678,
             iov: ["text", {hex: "00ff"}, {len: 100}], expect: 106}
        """)
        #expect(result.summary.expectationMismatches == 0)
        #expect(result.summary.steps == 2)
    }
}
