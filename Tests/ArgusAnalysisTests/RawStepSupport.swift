import ArgoEngine
import Flask
import Testing
@testable import ArgusAnalysis

/// dom0, two 64-bit guests and a 32-bit (compat) guest `c3`.
let rawDomains = standardDomains + [SimulationDomain(name: "c3", domid: 3, label: "system_u:system_r:domU_t", sid: 12, compat: true)]

/// Runs `yaml` on a fresh simulator with `domains`; labels in `create` steps resolve to SID 10.
func runScenario(_ yaml: String, settings: ArgoBootSettings = ArgoBootSettings(macPermissive: true),
                 domains: [SimulationDomain] = rawDomains) throws -> (SimulationResult, ScenarioSimulator) {
    let simulator = try ScenarioSimulator(settings: settings, domains: domains, resolveLabel: { _ in 10 })
    return (try simulator.run(try ScenarioParser.parse(yaml, file: "raw.yaml")), simulator)
}

/// The value of `key` in a trace line (the JSON text after `"key":`, up to the next top-level comma).
func traceValue(_ line: String, _ key: String) -> String? {
    guard let range = line.range(of: "\"\(key)\":") else { return nil }
    var depth = 0, inString = false, escaped = false
    var end = range.upperBound
    while end < line.endIndex {
        let c = line[end]
        if inString {
            if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
        } else if c == "\"" {
            inString = true
        } else if c == "[" || c == "{" {
            depth += 1
        } else if c == "]" || c == "}" {
            if depth == 0 { break }
            depth -= 1
        } else if c == "," && depth == 0 {
            break
        }
        end = line.index(after: end)
    }
    return String(line[range.upperBound ..< end])
}

/// Little-endian hex of `value` in `bytes` bytes.
func le(_ value: UInt64, _ bytes: Int) -> String {
    (0 ..< bytes).map { String(format: "%02x", UInt8(truncatingIfNeeded: value >> (8 * UInt64($0)))) }.joined()
}

/// `xen_argo_addr_t`.
func addrHex(aport: UInt32, domain: UInt16, pad: UInt16 = 0) -> String { le(UInt64(aport), 4) + le(UInt64(domain), 2) + le(UInt64(pad), 2) }

/// One iov: 16 bytes for a 64-bit guest, 12 for a compat one.
func iovHex(handle: UInt64, length: UInt32, pad: UInt32 = 0, compat: Bool) -> String {
    (compat ? le(handle, 4) : le(handle, 8)) + le(UInt64(length), 4) + le(UInt64(pad), 4)
}

/// What a 64-bit guest's register holds for an error that went through sendv's last line.
func lateRaw(_ errno: XenErrno) -> Int64 { Int64(UInt32(bitPattern: -errno.rawValue)) }

/// A FLASK decider whose answers can change between runs (a policy reload): `enable` is
/// refused for the SIDs in `noEnable`, everything else allowed unless listed in `denySend`.
final class ReloadableDecider: FlaskArgoDecider, @unchecked Sendable {
    var noEnable: Set<UInt32> = []
    var denySend: Set<UInt64> = []
    var xenSID: UInt32 { 1 }
    func argoDecision(source: UInt32, target: UInt32) -> FlaskDecision {
        var allowed = ArgoPermissions.enable.rawValue | ArgoPermissions.registerSingleSource.rawValue
            | ArgoPermissions.registerAnySource.rawValue | ArgoPermissions.send.rawValue
        if target == xenSID, noEnable.contains(source) { allowed &= ~ArgoPermissions.enable.rawValue }
        if denySend.contains(UInt64(source) << 32 | UInt64(target)) { allowed &= ~ArgoPermissions.send.rawValue }
        return FlaskDecision(allowed: allowed, auditAllow: 0, auditDeny: 0xFFFF_FFFF, permissiveSource: false)
    }
    func selfSID(of sid: UInt32) -> UInt32 { sid }
    func deviceModelTargetSID(deviceModel: UInt32, target: UInt32) -> UInt32 { target }
    func context(of sid: UInt32) -> String? { "system_u:system_r:t\(sid)_t" }
}
