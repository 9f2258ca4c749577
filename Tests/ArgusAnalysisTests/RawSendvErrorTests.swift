import ArgoEngine
import Flask
import Testing
@testable import ArgusAnalysis

/// Every sendv error path, sent by a 64-bit guest (a1) and a 32-bit one (c3): both read
/// the negative errno as an `int`; the raw value differs for the errors that go through
/// sendv's last line (`ret < 0 ? ret : len`, unsigned int): a 64-bit guest's register holds
/// 2^32 - errno (docs/ARGO-QUIRKS.md, "sendv's unsigned return").
@Suite struct RawSendvErrorTests {
    enum World: Sendable { case normal, silo, flaskDeniesSendToA2, a2WithoutArgo, senderLostArgo, firewall }

    struct Sender {
        var name: String
        var compat: Bool
    }

    static let wildcardRing = "- {op: register, domain: a2, aport: 1, partner: any, len: 4096}"
    static let sendAddress = addrHex(aport: 7, domain: 0x7FF4) + addrHex(aport: 1, domain: 2)

    static func named(_ s: Sender, src: String = "{domain: any, aport: 7}", dst: String = "{domain: a2, aport: 1}",
                      iov: String = #"["x"]"#) -> String {
        "- {op: sendv, domain: \(s.name), src: \(src), dst: \(dst), iov: \(iov)"
    }

    /// (name, errno, goes through sendv's last line, world, steps; the last step is the send,
    /// without its closing brace so that the test can add the expectations).
    static let cases: [(String, XenErrno, Bool, World, @Sendable (Sender) -> String)] = [
        ("send_addr unmapped", .EFAULT, false, .normal,
         { s in "- {op: hypercall, domain: \(s.name), cmd: 3, arg1: 0x7000000, arg2: 0x1040, arg3: 1" }),
        ("niov over 8", .EINVAL, false, .normal, { s in """
         - {op: poke, domain: \(s.name), gpa: 0x1000, hex: "\(sendAddress)"}
         - {op: hypercall, domain: \(s.name), cmd: 3, arg1: 0x1000, arg2: 0x1040, arg3: 9
         """ }),
        ("iov array unmapped", .EFAULT, false, .normal, { s in """
         - {op: poke, domain: \(s.name), gpa: 0x1000, hex: "\(sendAddress)"}
         - {op: hypercall, domain: \(s.name), cmd: 3, arg1: 0x1000, arg2: 0x7000000, arg3: 1
         """ }),
        ("source pad", .EINVAL, false, .normal, { s in wildcardRing + "\n" + named(s, src: "{domain: any, aport: 7, pad: 1}") }),
        ("destination pad", .EINVAL, false, .normal, { s in wildcardRing + "\n" + named(s, dst: "{domain: a2, aport: 1, pad: 1}") }),
        ("foreign source", .EPERM, false, .normal, { s in wildcardRing + "\n" + named(s, src: "{domain: a2, aport: 7}") }),
        ("unknown destination", .ESRCH, false, .normal, { s in named(s, dst: "{domain: 44, aport: 1}") }),
        ("FLASK refuses send", .EACCES, false, .flaskDeniesSendToA2, { s in wildcardRing + "\n" + named(s) }),
        ("SILO refuses send", .EPERM, false, .silo, { s in wildcardRing + "\n" + named(s) }),
        ("OpenXT firewall rejects", .EPERM, false, .firewall, { s in """
         \(wildcardRing)
         - {op: viptables_add, domain: dom0, src: {domain: \(s.name), aport: any}, dst: {domain: any, aport: any}, accept: false}
         \(named(s))
         """ }),
        ("sender has no Argo state", .ENODEV, true, .senderLostArgo, { s in wildcardRing + "\n" + named(s) }),
        ("destination has no Argo state", .ECONNREFUSED, true, .a2WithoutArgo, { s in named(s) }),
        ("no ring", .ECONNREFUSED, true, .normal, { s in named(s) }),
        ("iov pad", .EINVAL, true, .normal, { s in wildcardRing + "\n" + named(s, iov: #"[{text: "x", pad: 1}]"#) }),
        ("one iov over the largest message", .EINVAL, true, .normal, { s in wildcardRing + "\n" + named(s, iov: "[{len: 0xFFFFE1}]") }),
        ("running total over the largest message", .EMSGSIZE, true, .normal,
         { s in wildcardRing + "\n" + named(s, iov: "[{len: 0x800000}, {len: 0x800000}]") }),
        ("ring too small for the message", .EMSGSIZE, true, .normal, { s in """
         - {op: register, domain: a2, aport: 1, partner: any, len: 64}
         \(named(s, iov: "[{len: 40}]"))
         """ }),
        ("ring full", .EAGAIN, true, .normal, { s in """
         - {op: register, domain: a2, aport: 1, partner: any, len: 64}
         - {op: sendv, domain: dom0, src: {domain: any, aport: 7}, dst: {domain: a2, aport: 1}, iov: [{len: 16}], expect: 16}
         \(named(s, iov: "[{len: 16}]"))
         """ }),
        ("ring full and 32 senders waiting", .EBUSY, true, .normal, { s in
            var steps = ["- {op: register, domain: a2, aport: 1, partner: any, len: 64}",
                         "- {op: sendv, domain: dom0, src: {domain: any, aport: 7}, dst: {domain: a2, aport: 1}, iov: [{len: 16}], expect: 16}"]
            for domid in 10 ..< 42 {
                steps.append("- {op: create, name: w\(domid), domid: \(domid), label: \"system_u:system_r:domU_t\"}")
                steps.append("- {op: sendv, domain: w\(domid), src: {domain: any, aport: 7}, dst: {domain: a2, aport: 1}, iov: [{len: 16}], expect: -EAGAIN}")
            }
            return (steps + [named(s, iov: "[{len: 16}]")]).joined(separator: "\n")
        }),
        ("payload unmapped", .EFAULT, true, .normal, { s in """
         \(wildcardRing)
         - {op: poke, domain: \(s.name), gpa: 0x1000, hex: "\(sendAddress)"}
         - {op: poke, domain: \(s.name), gpa: 0x1040, hex: "\(iovHex(handle: 0x7000000, length: 5, compat: s.compat))"}
         - {op: hypercall, domain: \(s.name), cmd: 3, arg1: 0x1000, arg2: 0x1040, arg3: 1
         """ }),
    ]

    static func simulator(_ world: World) throws -> ScenarioSimulator {
        var settings = ArgoBootSettings(macPermissive: true)
        switch world {
        case .normal: break
        case .silo: settings.xsm = .silo
        case .firewall: settings.behaviour = ArgoEngineBehaviour(argoFirewall: true)
        case .flaskDeniesSendToA2, .a2WithoutArgo, .senderLostArgo:
            let decider = ReloadableDecider()
            if world == .flaskDeniesSendToA2 { decider.denySend = [10 << 32 | 11, 12 << 32 | 11] }
            if world == .a2WithoutArgo { decider.noEnable = [11] }
            if world == .senderLostArgo { decider.noEnable = [10, 12] }
            settings.xsm = .flask(decider: decider, mode: .enforcing)
            let simulator = try ScenarioSimulator(settings: settings, domains: rawDomains, resolveLabel: { _ in 10 })
            if world == .senderLostArgo {
                // A policy reload: the senders were created without Argo state, and now pass `enable`.
                decider.noEnable = []
                simulator.hypervisor.flushAVCCache()
                #expect(!simulator.hypervisor.hasArgo(1) && !simulator.hypervisor.hasArgo(3))
            }
            return simulator
        }
        return try ScenarioSimulator(settings: settings, domains: rawDomains, resolveLabel: { _ in 10 })
    }

    @Test(arguments: RawSendvErrorTests.cases)
    func sendvErrorByGuestWidth(name: String, errno: XenErrno, late: Bool, world: World,
                                steps: @Sendable (Sender) -> String) throws {
        for sender in [Sender(name: "a1", compat: false), Sender(name: "c3", compat: true)] {
            let raw = late && !sender.compat ? lateRaw(errno) : errno.hypercallReturn
            let yaml = "steps:\n" + (steps(sender) + ", expect: -\(errno.name), expect_raw: \(raw)}")
                .split(separator: "\n").map { "  " + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
            let result = try Self.simulator(world).run(try ScenarioParser.parse(yaml, file: "sendv.yaml"))
            let last = try #require(result.trace.last)
            #expect(last.contains(#""domain":"\#(sender.name)""#), "the last step is the sender's: \(last)")
            #expect(traceValue(last, "ret") == String(raw), "\(name), \(sender.name): \(last)")
            #expect(traceValue(last, "ret_int32") == (raw == errno.hypercallReturn ? nil : String(errno.hypercallReturn)), "\(name), \(sender.name)")
            #expect(traceValue(last, "errno") == "\"\(errno.name)\"", "\(name), \(sender.name): \(last)")
            #expect(result.summary.expectationMismatches == 0, "\(name), \(sender.name): \(result.traceText)")
        }
    }
}
