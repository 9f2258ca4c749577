import ArgoEngine
import Flask
import Testing
@testable import ArgusAnalysis

/// Every check of `do_argo_op` / `compat_argo_op` and every -EFAULT path of argo.c, driven
/// by raw `hypercall` steps with arguments laid out by `poke` (docs/ARGO-QUIRKS.md, "Guest
/// memory and -EFAULT"). Frame 0x20 is populated by pokes and 0x21 never is, so 0x20FFx
/// addresses straddle a hole; 0x7000000 is never mapped.
@Suite struct RawDispatcherTests {
    enum World: Sendable { case normal, argoOff, a1WithoutEnable }

    static func settings(_ world: World) -> ArgoBootSettings {
        switch world {
        case .normal: return ArgoBootSettings(macPermissive: true)
        case .argoOff: return ArgoBootSettings(argoEnabled: false, macPermissive: true)
        case .a1WithoutEnable:
            let decider = ReloadableDecider()
            decider.noEnable = [10]
            return ArgoBootSettings(macPermissive: true, xsm: .flask(decider: decider, mode: .enforcing))
        }
    }

    /// `xen_argo_register_ring_t` for a1's ring (aport 1, partner dom0).
    static func registerHex(length: UInt32, aport: UInt32 = 1, partner: UInt16 = 0) -> String {
        le(UInt64(aport), 4) + le(UInt64(partner), 2) + "0000" + le(UInt64(length), 4)
    }

    static let cases: [(String, World, String)] = [
        // The dispatcher, in its order.
        ("arg3 wider than 32 bits, even for an unknown op", .normal,
         "- {op: hypercall, domain: a1, cmd: 99, arg3: 0x100000000, expect: -EINVAL}"),
        ("arg4 wider than 32 bits", .normal, "- {op: hypercall, domain: a1, cmd: 4, arg4: 0x100000000, expect: -EINVAL}"),
        ("a compat guest's registers cut arg4 to 0: notify(NULL)", .normal,
         "- {op: hypercall, domain: c3, cmd: 4, arg4: 0x100000000, expect: 0}"),
        ("width check before Argo off", .argoOff, "- {op: hypercall, domain: a1, cmd: 1, arg3: 0x100000000, expect: -EINVAL}"),
        ("Argo off", .argoOff, "- {op: hypercall, domain: a1, cmd: 4, expect: -EOPNOTSUPP}"),
        ("Argo off, compat sendv", .argoOff, "- {op: hypercall, domain: c3, cmd: 3, expect: -EOPNOTSUPP}"),
        ("enable refused before the op is looked at", .a1WithoutEnable, "- {op: hypercall, domain: a1, cmd: 99, expect: -EACCES}"),
        ("width check before enable", .a1WithoutEnable, "- {op: hypercall, domain: a1, cmd: 99, arg4: 0x100000000, expect: -EINVAL}"),
        ("unknown ops", .normal, """
         - {op: hypercall, domain: a1, cmd: 0, expect: -EOPNOTSUPP}
         - {op: hypercall, domain: a1, cmd: 5, expect: -EOPNOTSUPP}
         - {op: hypercall, domain: dom0, cmd: 6, expect: -EOPNOTSUPP}
         - {op: hypercall, domain: dom0, cmd: 7, expect: -EOPNOTSUPP}
         - {op: hypercall, domain: dom0, cmd: 8, expect: -EOPNOTSUPP}
         - {op: hypercall, domain: a1, cmd: 0xFFFFFFFF, expect: -EOPNOTSUPP}
         - {op: hypercall, domain: c3, cmd: 9, expect: -EOPNOTSUPP}
         """),
        ("cmd is an unsigned int: 0x100000004 is notify", .normal, "- {op: hypercall, domain: a1, cmd: 0x100000004, expect: 0}"),
        // register_ring
        ("register: more than 4096 pages, before anything is read", .normal,
         "- {op: hypercall, domain: a1, cmd: 1, arg1: 0x7000000, arg2: 0x7000000, arg3: 4097, expect: -EINVAL}"),
        ("register: unknown flags before the struct is read", .normal,
         "- {op: hypercall, domain: a1, cmd: 1, arg1: 0x7000000, arg2: 0x7000000, arg3: 1, arg4: 2, expect: -EINVAL}"),
        ("register: struct unmapped", .normal, "- {op: hypercall, domain: a1, cmd: 1, arg1: 0x7000000, arg2: 0x2000, arg3: 1, expect: -EFAULT}"),
        ("register: struct straddling a hole", .normal, """
         - {op: poke, domain: a1, gpa: 0x20FF8, hex: "\(registerHex(length: 4032).prefix(16))"}
         - {op: hypercall, domain: a1, cmd: 1, arg1: 0x20FF8, arg2: 0x2000, arg3: 1, expect: -EFAULT}
         """),
        ("register: frame list unmapped", .normal, """
         - {op: poke, domain: a1, gpa: 0x1000, hex: "\(registerHex(length: 4032))"}
         - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x7000000, arg3: 1, expect: -EFAULT}
         - {op: sendv, domain: dom0, src: {domain: dom0, aport: 7}, dst: {domain: a1, aport: 1}, iov: ["x"], expect: -ECONNREFUSED}
         """),
        ("register: frame list straddling a hole after a good entry", .normal, """
         - {op: poke, domain: a1, gpa: 0x100000, hex: "00"}
         - {op: poke, domain: a1, gpa: 0x1000, hex: "\(registerHex(length: 4096))"}
         - {op: poke, domain: a1, gpa: 0x20FF8, hex: "\(le(0x100, 8))"}
         - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x20FF8, arg3: 2, expect: -EFAULT}
         """),
        ("register: a fault re-registering removes the live ring", .normal, """
         - {op: register, domain: a1, aport: 1, partner: dom0, len: 4032, expect: 0}
         - {op: sendv, domain: dom0, src: {domain: dom0, aport: 7}, dst: {domain: a1, aport: 1}, iov: ["x"], expect: 1}
         - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x7000000, arg3: 1, expect: -EFAULT}
         - {op: sendv, domain: dom0, src: {domain: dom0, aport: 7}, dst: {domain: a1, aport: 1}, iov: ["x"], expect: -ECONNREFUSED}
         """),
        ("register: frames the guest does not own or that are not plain RAM", .normal, """
         - {op: poke, domain: a1, gpa: 0x1000, hex: "\(registerHex(length: 4032))"}
         - {op: poke, domain: a1, gpa: 0x2000, hex: "\(le(0x777, 8))"}
         - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x2000, arg3: 1, expect: -EINVAL}
         - {op: poke, domain: a1, gpa: 0x30000, hex: "00", kind: read_only}
         - {op: poke, domain: a1, gpa: 0x2000, hex: "\(le(0x30, 8))"}
         - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x2000, arg3: 1, expect: -EINVAL}
         - {op: poke, domain: a1, gpa: 0x30000, hex: "00", kind: log_dirty}
         - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x2000, arg3: 1, expect: -EAGAIN}
         - {op: poke, domain: a1, gpa: 0x30000, hex: "00", kind: mmio}
         - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x2000, arg3: 1, expect: -EPERM}
         - {op: poke, domain: a1, gpa: 0x30000, hex: "00", kind: ram}
         - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x2000, arg3: 1, expect: 0}
         """),
        // unregister_ring
        ("unregister: reserved arguments, before the struct is read", .normal, """
         - {op: hypercall, domain: a1, cmd: 2, arg1: 0x7000000, arg2: 1, expect: -EINVAL}
         - {op: hypercall, domain: a1, cmd: 2, arg1: 0x7000000, arg3: 1, expect: -EINVAL}
         - {op: hypercall, domain: a1, cmd: 2, arg1: 0x7000000, arg4: 1, expect: -EINVAL}
         """),
        ("unregister: struct unmapped or straddling", .normal, """
         - {op: hypercall, domain: a1, cmd: 2, arg1: 0x7000000, expect: -EFAULT}
         - {op: poke, domain: a1, gpa: 0x20FFC, hex: "01000000"}
         - {op: hypercall, domain: a1, cmd: 2, arg1: 0x20FFC, expect: -EFAULT}
         """),
        // sendv (native and compat dispatchers)
        ("sendv: send_addr is copied before niov is checked", .normal, """
         - {op: hypercall, domain: a1, cmd: 3, arg1: 0x7000000, arg2: 0x7000000, arg3: 9, expect: -EFAULT}
         - {op: hypercall, domain: c3, cmd: 3, arg1: 0x7000000, arg2: 0x7000000, arg3: 9, expect: -EFAULT}
         - {op: hypercall, domain: a1, cmd: 3, arg1: 0x1000, arg2: 0x7000000, arg3: 9, expect: -EINVAL}
         - {op: hypercall, domain: c3, cmd: 3, arg1: 0x1000, arg2: 0x7000000, arg3: 9, expect: -EINVAL}
         """),
        ("sendv: send_addr straddling a hole", .normal, """
         - {op: poke, domain: a1, gpa: 0x20FF8, hex: "\(addrHex(aport: 7, domain: 1))"}
         - {op: hypercall, domain: a1, cmd: 3, arg1: 0x20FF8, arg2: 0x1040, arg3: 0, expect: -EFAULT}
         """),
        ("sendv: iov array straddling a hole (native 16-byte and compat 12-byte iovs)", .normal, """
         - {op: poke, domain: a1, gpa: 0x1000, hex: "\(addrHex(aport: 7, domain: 0x7FF4) + addrHex(aport: 1, domain: 2))"}
         - {op: poke, domain: a1, gpa: 0x20FF0, hex: "\(iovHex(handle: 0x1000, length: 1, compat: false))"}
         - {op: hypercall, domain: a1, cmd: 3, arg1: 0x1000, arg2: 0x20FF0, arg3: 2, expect: -EFAULT}
         - {op: hypercall, domain: a1, cmd: 3, arg1: 0x1000, arg2: 0x20FF0, arg3: 1, expect: -ECONNREFUSED}
         - {op: poke, domain: c3, gpa: 0x1000, hex: "\(addrHex(aport: 7, domain: 0x7FF4) + addrHex(aport: 1, domain: 2))"}
         - {op: poke, domain: c3, gpa: 0x20FF4, hex: "\(iovHex(handle: 0x1000, length: 1, compat: true))"}
         - {op: hypercall, domain: c3, cmd: 3, arg1: 0x1000, arg2: 0x20FF4, arg3: 2, expect: -EFAULT}
         - {op: hypercall, domain: c3, cmd: 3, arg1: 0x1000, arg2: 0x20FF4, arg3: 1, expect: -ECONNREFUSED}
         """),
        // notify
        ("notify: reserved arguments, before anything is read", .normal, """
         - {op: hypercall, domain: a1, cmd: 4, arg1: 0x7000000, arg2: 1, expect: -EINVAL}
         - {op: hypercall, domain: a1, cmd: 4, arg1: 0x7000000, arg3: 1, expect: -EINVAL}
         - {op: hypercall, domain: a1, cmd: 4, arg1: 0x7000000, arg4: 1, expect: -EINVAL}
         """),
        ("notify: ring_data header unmapped or straddling; the count checked after the copy", .normal, """
         - {op: hypercall, domain: a1, cmd: 4, arg1: 0x7000000, expect: -EFAULT}
         - {op: poke, domain: a1, gpa: 0x20FFC, hex: "01010000"}
         - {op: hypercall, domain: a1, cmd: 4, arg1: 0x20FFC, expect: -EFAULT}
         - {op: poke, domain: a1, gpa: 0x20FF8, hex: "0101000000000000"}
         - {op: hypercall, domain: a1, cmd: 4, arg1: 0x20FF8, expect: -EACCES}
         """),
    ]

    @Test(arguments: RawDispatcherTests.cases)
    func dispatcherCheck(name: String, world: World, steps: String) throws {
        let yaml = "steps:\n" + steps.split(separator: "\n").map { "  " + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
        let (result, _) = try runScenario(yaml, settings: Self.settings(world))
        let expects = yaml.components(separatedBy: "expect:").count - 1
        #expect(expects > 0, "\(name): a case without expectations tests nothing")
        #expect(result.trace.filter { $0.contains(#""expect_met":true"#) }.count == expects, "\(name)")
        #expect(result.summary.expectationMismatches == 0, "\(name): \(result.traceText)")
    }

    /// A notify list ending inside its second entry: the first entry is processed and written
    /// back, then the copy of the second faults (-EFAULT); the second is left as it was.
    @Test func notifyBufferEndingInsideAnEntry() throws {
        let entry = addrHex(aport: 1, domain: 2) + "0000" + "0000" + le(16, 4) + le(0xAAAA, 4)
        let (result, _) = try runScenario("""
        steps:
          - {op: register, domain: a2, aport: 1, partner: a1, len: 256}
          - {op: poke, domain: a1, gpa: 0x20FE0, hex: "0200000000000000\(entry)\(entry.prefix(8))"}
          - {op: hypercall, domain: a1, cmd: 4, arg1: 0x20FE0, expect: -EFAULT}
          - {op: peek, domain: a1, gpa: 0x20FE8, len: 28}
        """)
        #expect(result.summary.expectationMismatches == 0, "\(result.traceText)")
        // Entry 0: flags EXISTS|SUFFICIENT|EMPTY (13), max_message_size 224; entry 1's first bytes untouched.
        #expect(traceValue(result.trace[3], "hex") == "\"" + addrHex(aport: 1, domain: 2) + "0d00" + "0000" + le(16, 4) + le(224, 4)
                + addrHex(aport: 1, domain: 2).prefix(8) + "\"", "\(result.trace[3])")
        #expect(traceValue(result.trace[3], "ret") == "-14", "peek stops at the hole")
    }

    /// notify wakes the caller's satisfied waiters first, so a call that then faults on its
    /// argument has still signalled them.
    @Test func notifyWakesWaitersBeforeItFaults() throws {
        let (result, _) = try runScenario("""
        steps:
          - {op: register, domain: a1, aport: 1, partner: dom0, len: 64}
          - {op: sendv, domain: dom0, src: {domain: dom0, aport: 7}, dst: {domain: a1, aport: 1}, iov: [{len: 16}], expect: 16}
          - {op: sendv, domain: dom0, src: {domain: dom0, aport: 7}, dst: {domain: a1, aport: 1}, iov: [{len: 16}], expect: -EAGAIN}
          - {op: set_rx_ptr, domain: a1, aport: 1, partner: dom0, value: 32}
          - {op: hypercall, domain: a1, cmd: 4, arg1: 0x7000000, expect: -EFAULT}
        """)
        #expect(result.summary.expectationMismatches == 0, "\(result.traceText)")
        #expect(traceValue(result.trace[4], "signals") == #"["dom0"]"#, "\(result.trace[4])")
    }
}

/// The new steps' input errors: one line, at the step.
@Suite struct RawStepParserTests {
    @Test(arguments: [
        ("steps:\n  - {op: hypercall, domain: a1}\n", 2, "hypercall needs 'cmd'"),
        ("steps:\n  - {op: hypercall, domain: a1, cmd: 1, arg5: 0}\n", 2, "unknown key 'arg5'"),
        ("steps:\n  - {op: hypercall, domain: a1, cmd: -1}\n", 2, "'cmd' must be an unsigned 64-bit integer"),
        ("steps:\n  - {op: hypercall, domain: a1, cmd: 0x10000000000000000}\n", 2, "'cmd' must be an unsigned 64-bit integer"),
        ("steps:\n  - {op: poke, domain: a1, gpa: 0x1000, hex: \"abc\"}\n", 2, "even number of hex digits"),
        ("steps:\n  - {op: poke, domain: a1, gpa: 0x1000, hex: \"\"}\n", 2, "non-empty"),
        ("steps:\n  - {op: poke, domain: a1, gpa: 0x1000, hex: \"00\", kind: rom}\n", 2, "'kind' must be"),
        ("steps:\n  - {op: peek, domain: a1, gpa: 0xFFFFFFFFFFFFFFFF, len: 2}\n", 2, "past the end of the address space"),
        ("steps:\n  - {op: unmap, domain: a1}\n", 2, "unmap needs 'gfn'"),
        ("steps:\n  - {op: release}\n", 2, "missing 'domain'"),
        ("steps:\n  - {op: viptables_add, domain: dom0, src: {domain: a1, aport: 1}, dst: {domain: a2, aport: 1}}\n", 2, "needs 'accept'"),
        ("steps:\n  - {op: viptables_add, domain: dom0, src: {domain: a1}, dst: {domain: a2, aport: 1}, accept: true}\n", 2, "'src' needs 'aport'"),
        ("steps:\n  - {op: viptables_add, domain: dom0, position: 0x100000000, src: {domain: a1, aport: 1}, dst: {domain: a2, aport: 1}, accept: true}\n", 2, "'position' must be an integer"),
        ("steps:\n  - {op: viptables_del, domain: dom0, position: 1, src: {domain: a1, aport: 1}, dst: {domain: a2, aport: 1}}\n", 2, "not both"),
        ("steps:\n  - {op: viptables_del, domain: dom0}\n", 2, "needs 'position' or 'src' and 'dst'"),
        ("steps:\n  - {op: viptables_list, domain: dom0, start: -1}\n", 2, "'start' must be an integer"),
        ("steps:\n  - {op: viptables_flush, domain: dom0, all: true}\n", 2, "unknown key 'all'"),
    ])
    func badRawStepsAreInputErrors(yaml: String, line: Int, message: String) {
        do {
            _ = try ScenarioParser.parse(yaml, file: "s.yaml")
            Issue.record("no error for \(yaml)")
        } catch {
            #expect(error.location?.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }
}

/// Pokes populate at most 4096 frames per run: a one-byte poke per frame would otherwise cost
/// 4 KiB of host memory for every 60 bytes of YAML.
@Suite struct PokeLimitTests {
    @Test func pokesPopulateAtMost4096Frames() throws {
        let steps = (0 ... 4096).map { "  - {op: poke, domain: a1, gpa: \(0x100_0000 + $0 * 4096), hex: \"ff\"}" }
        let scenario = try ScenarioParser.parse("steps:\n" + steps.joined(separator: "\n") + "\n", file: "p.yaml")
        do {
            _ = try ScenarioSimulator(settings: ArgoBootSettings(), domains: standardDomains).run(scenario)
            Issue.record("no error")
        } catch {
            #expect(error.description == "p.yaml:4098: error: poke: the pokes of one scenario may populate at most 4096 frames (16 MiB)")
        }
        // Pokes over frames already there cost nothing more.
        let again = (0 ..< 5000).map { "  - {op: poke, domain: a1, gpa: \(0x100_0000 + ($0 % 8) * 4096), hex: \"ff\"}" }
        let (result, _) = try runScenario("steps:\n" + again.joined(separator: "\n") + "\n")
        #expect(result.summary.steps == 5000)
    }
}
