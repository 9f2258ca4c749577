import ArgoEngine
import Flask
import Testing
@testable import ArgusAnalysis

/// A raw `hypercall` that lays its arguments out as docs/SCENARIOS.md says the named steps do
/// gives the same result, signals and ring memory as the named step.
@Suite struct RawEquivalenceTests {
    static let named = """
    steps:
      - {op: register, domain: a1, aport: 1, partner: dom0, len: 4032}
      - {op: sendv, domain: dom0, src: {domain: any, aport: 7}, dst: {domain: a1, aport: 1}, type: 0x1234, iov: ["hello", {hex: "00ff"}]}
      - {op: notify, domain: dom0, entries: [{domain: a1, aport: 1, space_required: 100}]}
      - {op: read, domain: a1, aport: 1, partner: dom0}
      - {op: register, domain: a1, aport: 2, partner: any, len: 64}
      - {op: sendv, domain: c3, src: {domain: any, aport: 9}, dst: {domain: a1, aport: 2}, iov: ["abc"]}
      - {op: sendv, domain: a1, src: {domain: any, aport: 9}, dst: {domain: a2, aport: 5}, iov: ["late"]}
      - {op: unregister, domain: a1, aport: 2, partner: any}
      - {op: notify, domain: a1}
    """

    /// The same steps as raw hypercalls; `read` is the guest reading its own memory in both.
    static let raw = """
    steps:
      - {op: poke, domain: a1, gpa: 0x1000, hex: "\(le(1, 4) + le(0, 2) + "0000" + le(4032, 4))"}
      - {op: poke, domain: a1, gpa: 0x2000, hex: "\(le(0x100, 8))"}
      - {op: poke, domain: a1, gpa: 0x100000, hex: "00"}
      - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x2000, arg3: 1, arg4: 0}
      - {op: poke, domain: dom0, gpa: 0x1000, hex: "\(addrHex(aport: 7, domain: 0x7FF4) + addrHex(aport: 1, domain: 1))"}
      - {op: poke, domain: dom0, gpa: 0x1040, hex: "\(iovHex(handle: 0xC000_0000, length: 5, compat: false) + iovHex(handle: 0xC000_0005, length: 2, compat: false))"}
      - {op: poke, domain: dom0, gpa: 0xC0000000, hex: "68656c6c6f00ff"}
      - {op: hypercall, domain: dom0, cmd: 3, arg1: 0x1000, arg2: 0x1040, arg3: 2, arg4: 0x1234}
      - {op: poke, domain: dom0, gpa: 0x2000, hex: "\(le(1, 4) + le(0, 4) + addrHex(aport: 1, domain: 1) + le(0, 4) + le(100, 4) + le(0, 4))"}
      - {op: hypercall, domain: dom0, cmd: 4, arg1: 0x2000}
      - {op: read, domain: a1, aport: 1, partner: dom0}
      - {op: poke, domain: a1, gpa: 0x1000, hex: "\(le(2, 4) + le(0x7FF4, 2) + "0000" + le(64, 4))"}
      - {op: poke, domain: a1, gpa: 0x2000, hex: "\(le(0x101, 8))"}
      - {op: poke, domain: a1, gpa: 0x101000, hex: "00"}
      - {op: hypercall, domain: a1, cmd: 1, arg1: 0x1000, arg2: 0x2000, arg3: 1}
      - {op: poke, domain: c3, gpa: 0x1000, hex: "\(addrHex(aport: 9, domain: 0x7FF4) + addrHex(aport: 2, domain: 1))"}
      - {op: poke, domain: c3, gpa: 0x1040, hex: "\(iovHex(handle: 0xC000_0000, length: 3, compat: true))"}
      - {op: poke, domain: c3, gpa: 0xC0000000, hex: "616263"}
      - {op: hypercall, domain: c3, cmd: 3, arg1: 0x1000, arg2: 0x1040, arg3: 1}
      - {op: poke, domain: a1, gpa: 0x1000, hex: "\(addrHex(aport: 9, domain: 0x7FF4) + addrHex(aport: 5, domain: 2))"}
      - {op: poke, domain: a1, gpa: 0x1040, hex: "\(iovHex(handle: 0xC000_0000, length: 4, compat: false))"}
      - {op: poke, domain: a1, gpa: 0xC0000000, hex: "6c617465"}
      - {op: hypercall, domain: a1, cmd: 3, arg1: 0x1000, arg2: 0x1040, arg3: 1}
      - {op: poke, domain: a1, gpa: 0x1000, hex: "\(le(2, 4) + le(0x7FF4, 2) + "0000")"}
      - {op: hypercall, domain: a1, cmd: 2, arg1: 0x1000}
      - {op: hypercall, domain: a1, cmd: 4}
      - {op: peek, domain: dom0, gpa: 0x2008, len: 20}
    """

    @Test func rawHypercallsReproduceNamedSteps() throws {
        let (named, namedSimulator) = try runScenario(Self.named)
        let (raw, rawSimulator) = try runScenario(Self.raw)
        let calls = raw.trace.filter { $0.contains(#""op":"hypercall""#) || $0.contains(#""op":"read""#) }
        try #require(calls.count == named.trace.count)
        for (namedLine, rawLine) in zip(named.trace, calls) {
            for key in ["domain", "ret", "ret_int32", "errno", "messages", "signals", "avc"] {
                #expect(traceValue(namedLine, key) == traceValue(rawLine, key), "\(key): \(namedLine) vs \(rawLine)")
            }
        }
        #expect(traceValue(named.trace[6], "ret") == "4294967185", "the late sendv error is in the comparison")
        #expect(traceValue(named.trace[3], "messages")?.contains("68656c6c6f00ff") == true)
        // What notify wrote back: the named step reports it, the raw one reads it.
        #expect(traceValue(named.trace[2], "entries") == #"[{"flags":9,"max_message_size":4000}]"#)
        #expect(traceValue(raw.trace.last!, "hex") == "\"" + addrHex(aport: 1, domain: 1) + le(9, 2) + "0000" + le(100, 4) + le(4000, 4) + "\"")
        let namedDumps = namedSimulator.ringDumps(), rawDumps = rawSimulator.ringDumps()
        #expect(!namedDumps.isEmpty)
        #expect(namedDumps == rawDumps)
        #expect(named.summary.messagesDelivered == 2 && raw.summary.messagesDelivered == 2)
    }
}
