import ArgoEngine
import Flask
import Testing
@testable import ArgusAnalysis

/// OpenXT's firewall through scenario steps: every quirk of docs/ARGO-QUIRKS.md, "OpenXT's
/// firewall", as a scenario on an `openxt` Xen, and the ops on an upstream one.
@Suite struct FirewallScenarioTests {
    static let openxt = ArgoBootSettings(macPermissive: true, behaviour: ArgoEngineBehaviour(argoFirewall: true))

    static func run(_ steps: String, settings: ArgoBootSettings = openxt) throws -> SimulationResult {
        let (result, _) = try runScenario("steps:\n" + steps, settings: settings)
        #expect(result.summary.expectationMismatches == 0, "\(result.traceText)")
        return result
    }

    static func rule(_ n: Int, _ accept: String = "true") -> String {
        "src: {domain: a1, aport: \(n)}, dst: {domain: dom0, aport: 0}, accept: \(accept)"
    }

    @Test func traceShowsTheGlobalListAndTheConsole() throws {
        let result = try Self.run("""
          - {op: viptables_add, domain: dom0, src: {domain: a1, aport: any}, dst: {domain: dom0, aport: 5555}, accept: true, expect: 0}
          - {op: viptables_add, domain: dom0, position: 1, src: {domain: "*", aport: "*"}, dst: {domain: any, aport: 80}, accept: false}
          - {op: viptables_list, domain: dom0}
        """)
        #expect(result.trace[0] == #"{"step":1,"op":"viptables_add","domain":"dom0","ret":0,"errno":null,"rules":["ACCEPT 1:* -> 0:5555"],"signals":[],"console":["VIPTables: ACCEPT 1:* -> 0:5555"],"expect":0,"expect_met":true}"#)
        #expect(traceValue(result.trace[1], "rules") == #"["REJECT *:* -> *:80","ACCEPT 1:* -> 0:5555"]"#)
        #expect(traceValue(result.trace[2], "listed") == #"["REJECT *:* -> *:80","ACCEPT 1:* -> 0:5555"]"#)
    }

    @Test func upstreamAnswersTheOpsAsUnknown() throws {
        let result = try Self.run("""
          - {op: viptables_add, domain: dom0, \(Self.rule(1)), expect: -EOPNOTSUPP}
          - {op: viptables_del, domain: dom0, position: 1, expect: -EOPNOTSUPP}
          - {op: viptables_list, domain: dom0, expect: -EOPNOTSUPP}
          - {op: viptables_flush, domain: dom0, expect: -EOPNOTSUPP}
          - {op: viptables_add, domain: a1, \(Self.rule(1)), expect: -EOPNOTSUPP}
        """, settings: ArgoBootSettings(macPermissive: true))
        #expect(result.trace.allSatisfy { !$0.contains("rules") && !$0.contains("listed") && !$0.contains("console") })
    }

    /// 1. One global list: a rule naming a domain outlives it.
    @Test func rulesOutliveTheDomainsTheyName() throws {
        let result = try Self.run("""
          - {op: viptables_add, domain: dom0, \(Self.rule(1))}
          - {op: destroy, domain: a1}
          - {op: viptables_list, domain: dom0, expect: 0}
        """)
        #expect(traceValue(result.trace[2], "listed") == #"["ACCEPT 1:1 -> 0:0"]"#)
    }

    /// 2. Only the privileged domain, after the dispatcher's own checks.
    @Test func onlyThePrivilegedDomainAfterTheDispatcher() throws {
        _ = try Self.run("""
          - {op: viptables_add, domain: a1, \(Self.rule(1)), expect: -EPERM}
          - {op: viptables_del, domain: a1, position: 1, expect: -EPERM}
          - {op: viptables_list, domain: a1, expect: -EPERM}
          - {op: viptables_flush, domain: a1, expect: -EPERM}
          - {op: hypercall, domain: a1, cmd: 6, arg1: 0x1000, arg4: 0x100000000, expect: -EINVAL}
        """)
        let decider = ReloadableDecider()
        decider.noEnable = [10]
        var refused = Self.openxt
        refused.xsm = .flask(decider: decider, mode: .enforcing)
        _ = try Self.run("  - {op: viptables_list, domain: a1, expect: -EACCES}", settings: refused)
    }

    /// 3. Positions are not sanitised: 1 is the head; 0, negatives and past the end append;
    /// deleting at 0, a negative other than -1 or past the end deletes nothing and succeeds.
    @Test func positionsAreUnsanitised() throws {
        var steps = ""
        for (port, position) in [(1, "1"), (2, "1"), (3, "3"), (4, "0"), (5, "-7"), (6, "99"), (7, "2"), (8, "-2147483648")] {
            steps += "  - {op: viptables_add, domain: dom0, position: \(position), \(Self.rule(port))}\n"
        }
        steps += """
          - {op: viptables_del, domain: dom0, position: 0, expect: 0}
          - {op: viptables_del, domain: dom0, position: 99, expect: 0}
          - {op: viptables_del, domain: dom0, position: -2, expect: 0}
          - {op: viptables_del, domain: dom0, position: 0x80000000, expect: 0}
          - {op: viptables_del, domain: dom0, position: 3, expect: 0}
        """
        let result = try Self.run(steps)
        let order = [2, 7, 1, 3, 4, 5, 6, 8].map { "\"ACCEPT 1:\($0) -> 0:0\"" }
        #expect(traceValue(result.trace[7], "rules") == "[" + order.joined(separator: ",") + "]")
        #expect(traceValue(result.trace[11], "rules") == "[" + order.joined(separator: ",") + "]", "nothing deleted")
        #expect(traceValue(result.trace[12], "rules") == "[" + order.enumerated().filter { $0.offset != 2 }.map(\.element).joined(separator: ",") + "]")
        #expect(traceValue(result.trace[12], "console") == #"["VIPTables: deleting rule: ACCEPT 1:1 -> 0:0"]"#)
    }

    /// 4 and 6. Position -1: with a rule, the first with the same four address fields (accept
    /// and pads not compared); with none, a flush. Pads are neither checked nor compared.
    @Test func deleteByRuleAndFlush() throws {
        let result = try Self.run("""
          - {op: viptables_add, domain: dom0, src: {domain: a1, aport: 4, pad: 5}, dst: {domain: dom0, aport: 9, pad: 0xFFFF}, accept: false, expect: 0}
          - {op: viptables_add, domain: dom0, src: {domain: a1, aport: 4}, dst: {domain: dom0, aport: 9}, accept: true}
          - {op: viptables_del, domain: dom0, src: {domain: a1, aport: 4}, dst: {domain: dom0, aport: 9}, accept: 7, expect: 0}
          - {op: viptables_del, domain: dom0, src: {domain: a2, aport: 4}, dst: {domain: dom0, aport: 9}, expect: 0}
          - {op: viptables_add, domain: dom0, \(Self.rule(1))}
          - {op: viptables_del, domain: dom0, position: -1, expect: 0}
          - {op: viptables_add, domain: dom0, \(Self.rule(2))}
          - {op: viptables_flush, domain: dom0, expect: 0}
        """)
        #expect(traceValue(result.trace[2], "rules") == #"["ACCEPT 1:4 -> 0:9"]"#, "the first match, with its pads, went")
        #expect(traceValue(result.trace[3], "rules") == #"["ACCEPT 1:4 -> 0:9"]"#, "no match: nothing")
        #expect(traceValue(result.trace[5], "rules") == "[]")
        #expect(traceValue(result.trace[5], "console") == #"["VIPTables: flushing rules"]"#)
        #expect(traceValue(result.trace[7], "rules") == "[]")
    }

    /// 5. Any non-zero accept accepts, though it prints as REJECT.
    @Test func acceptIsAnyNonZeroValue() throws {
        let result = try Self.run("""
          - {op: register, domain: a2, aport: 1, partner: any, len: 4096}
          - {op: viptables_add, domain: dom0, src: {domain: a1, aport: any}, dst: {domain: a2, aport: 1}, accept: 2}
          - {op: sendv, domain: a1, src: {domain: any, aport: 3}, dst: {domain: a2, aport: 1}, iov: ["x"], expect: 1}
          - {op: viptables_add, domain: dom0, position: 1, src: {domain: a1, aport: any}, dst: {domain: a2, aport: 1}, accept: 0}
          - {op: sendv, domain: a1, src: {domain: any, aport: 3}, dst: {domain: a2, aport: 1}, iov: ["x"], expect: -EPERM}
        """)
        #expect(traceValue(result.trace[1], "console") == #"["VIPTables: REJECT 1:* -> 2:1"]"#)
    }

    /// 7. -EFAULT: add and del by rule read field by field and change nothing on a fault; del by
    /// position never reads arg1; list faults past the end and writes the whole structure back.
    @Test func faults() throws {
        let src = le(3, 4) + le(1, 2) + "0000", dst = le(9, 4) + le(0, 2) + "0000"
        let result = try Self.run("""
          - {op: hypercall, domain: dom0, cmd: 6, arg1: 0x7000000, arg4: 1, expect: -EFAULT}
          - {op: poke, domain: dom0, gpa: 0x20FF0, hex: "\(src + dst)"}
          - {op: hypercall, domain: dom0, cmd: 6, arg1: 0x20FF0, arg4: 1, expect: -EFAULT}
          - {op: viptables_add, domain: dom0, \(Self.rule(1))}
          - {op: hypercall, domain: dom0, cmd: 7, arg1: 0x20FF0, arg4: 0xFFFFFFFF, expect: -EFAULT}
          - {op: hypercall, domain: dom0, cmd: 7, arg1: 0x7000000, arg4: 1, expect: 0}
          - {op: viptables_add, domain: dom0, \(Self.rule(2))}
          - {op: viptables_list, domain: dom0, start: 1, expect: 0}
          - {op: viptables_list, domain: dom0, start: 2, expect: -EFAULT}
          - {op: poke, domain: dom0, gpa: 0x1000, hex: "\(String(repeating: "ff", count: 160))00000000"}
          - {op: hypercall, domain: dom0, cmd: 8, arg1: 0x1000, expect: 0}
          - {op: peek, domain: dom0, gpa: 0x1000, len: 164}
          - {op: hypercall, domain: dom0, cmd: 8, arg1: 0x7000000, expect: -EFAULT}
        """)
        #expect(traceValue(result.trace[2], "rules") == "[]" && traceValue(result.trace[2], "console") == nil, "nothing added, nothing printed")
        #expect(traceValue(result.trace[5], "rules") == "[]", "deleted by position with an unreadable arg1")
        #expect(traceValue(result.trace[7], "listed") == "[]", "an offset equal to the length lists nothing")
        let rule = le(2, 4) + le(1, 2) + "0000" + le(0, 4) + le(0, 2) + "0000" + le(1, 4)
        #expect(traceValue(result.trace[11], "hex") == "\"" + rule + String(repeating: "00", count: 140) + le(1, 4) + "\"")
    }

    /// The returned count is what this call copied, not the offset plus it.
    @Test func listIsPagedByTheCaller() throws {
        var steps = ""
        for port in 1 ... 11 { steps += "  - {op: viptables_add, domain: dom0, \(Self.rule(port))}\n" }
        steps += "  - {op: viptables_list, domain: dom0, start: 8}\n  - {op: peek, domain: dom0, gpa: 0x10A0, len: 4}\n"
        let result = try Self.run(steps)
        #expect(traceValue(result.trace[11], "listed") == #"["ACCEPT 1:9 -> 0:0","ACCEPT 1:10 -> 0:0","ACCEPT 1:11 -> 0:0"]"#)
        #expect(traceValue(result.trace[12], "hex") == "\"03000000\"")
    }

    /// 8 and 9. In sendv after the XSM check and before the Argo-state checks, negative for a
    /// 64-bit guest too; notify is not filtered.
    @Test func sendvIsFilteredNotifyIsNot() throws {
        let result = try Self.run("""
          - {op: register, domain: a2, aport: 80, partner: any, len: 4096}
          - {op: viptables_add, domain: dom0, src: {domain: any, aport: any}, dst: {domain: a2, aport: any}, accept: false}
          - {op: sendv, domain: a1, src: {domain: any, aport: 7}, dst: {domain: a2, aport: 80}, iov: ["x"], expect: -EPERM, expect_raw: -EPERM}
          - {op: sendv, domain: a1, src: {domain: any, aport: 7}, dst: {domain: a2, aport: 999}, iov: ["x"], expect: -EPERM}
          - {op: sendv, domain: a1, src: {domain: any, aport: 7}, dst: {domain: 44, aport: 80}, iov: ["x"], expect: -ESRCH}
          - {op: notify, domain: a1, entries: [{domain: a2, aport: 80, space_required: 1}], expect: 0}
        """)
        #expect(traceValue(result.trace[2], "console") == #"["d1v0 argo: VIPTables REJECTED 1:7 -> 2:80"]"#)
        #expect(traceValue(result.trace[5], "entries") == #"[{"flags":15,"max_message_size":4064}]"#)
    }
}
