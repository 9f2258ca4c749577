/// Permission bits of FLASK class `argo` (`xen/xsm/flask/policy/access_vectors`).
public struct ArgoPermissions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let enable = ArgoPermissions(rawValue: 0x1)
    public static let registerSingleSource = ArgoPermissions(rawValue: 0x2)
    public static let registerAnySource = ArgoPermissions(rawValue: 0x4)
    public static let send = ArgoPermissions(rawValue: 0x8)

    /// Names in bit order, as Xen's AVC prints them.
    public static let namesByBit: [(UInt32, String)] = [
        (0x1, "enable"), (0x2, "register_single_source"), (0x4, "register_any_source"), (0x8, "send"),
    ]
}

/// One access decision for class `argo` from a source SID to a target SID,
/// as the security server computes it (`struct av_decision`).
public struct FlaskDecision: Sendable, Hashable {
    /// Granted permission bits.
    public var allowed: UInt32
    /// Bits whose grant is logged (`auditallow`).
    public var auditAllow: UInt32
    /// Bits whose denial is logged (everything not `dontaudit`ed).
    public var auditDeny: UInt32
    /// The source type is declared `permissive`: denials are logged, not enforced.
    public var permissiveSource: Bool

    public init(allowed: UInt32, auditAllow: UInt32 = 0, auditDeny: UInt32 = 0xFFFF_FFFF, permissiveSource: Bool = false) {
        self.allowed = allowed
        self.auditAllow = auditAllow
        self.auditDeny = auditDeny
        self.permissiveSource = permissiveSource
    }
}

/// The FLASK security server as the Argo engine needs it. The decision table
/// conforms to this; tests use small hand-written deciders.
///
/// SIDs are opaque to the engine: it only passes them back to the decider.
public protocol FlaskArgoDecider: Sendable {
    /// The access decision for class `argo` from `source` to `target`.
    func argoDecision(source: UInt32, target: UInt32) -> FlaskDecision
    /// A domain's *self* SID: `type_transition sid sid : domain`, used when a
    /// domain acts on itself.
    func selfSID(of sid: UInt32) -> UInt32
    /// A device model's *target* SID: the transition from the target's SID with
    /// the device model's SID (`security_transition_sid(target, dm, domain)`),
    /// used when the device model acts on the domain it serves.
    func deviceModelTargetSID(deviceModel: UInt32, target: UInt32) -> UInt32
    /// The context string for AVC messages (`system_u:system_r:domU_t`), or
    /// nil when the SID has none (Xen then prints `ssid=N` / `tsid=N`).
    func context(of sid: UInt32) -> String?
    /// The `xen` initial SID (`SECINITSID_XEN`), target of `enable` and
    /// `register_any_source`.
    var xenSID: UInt32 { get }
}

/// FLASK's global mode (`flask=enforcing|permissive`).

/// An AVC audit record, as Xen prints it on the console.
public struct AVCRecord: Sendable, Hashable {
    public var denied: Bool
    /// The audited permission bits.
    public var permissions: UInt32
    /// `source=dN target=dM` (domain-pair checks) or `current=dN` (checks against `xen`).
    public var subjects: String
    public var sourceSID: UInt32
    public var targetSID: UInt32
    public var sourceContext: String?
    public var targetContext: String?

    /// The console line without the `(XEN) ` prefix or newline, byte for byte
    /// as `avc_audit` formats it.
    public var consoleLine: String {
        var line = "avc:  \(denied ? "denied" : "granted") "
        if permissions == 0 {
            line += " null"
        } else {
            line += " {"
            var rest = permissions
            for (bit, name) in ArgoPermissions.namesByBit where rest & bit != 0 {
                line += " \(name)"
                rest &= ~bit
            }
            if rest != 0 { line += " 0x" + String(rest, radix: 16) }
            line += " }"
        }
        line += " for "
        line += subjects
        if let sourceContext { line += "scontext=\(sourceContext)" } else { line += "ssid=\(Int32(bitPattern: sourceSID))" }
        if let targetContext { line += " tcontext=\(targetContext)" } else { line += " tsid=\(Int32(bitPattern: targetSID))" }
        line += " tclass=argo"
        return line
    }
}
