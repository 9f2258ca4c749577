/// The XSM module Xen booted with, as far as the four Argo hooks go.
public enum XSMModule: Sendable {
    /// No policy: every Argo hook allows (`xen/include/xsm/dummy.h`).
    case dummy
    /// SILO (`xen/xsm/silo.c`): `register_single_source` and `send` are allowed
    /// only when the current domain, the acting domain or the other domain is
    /// a control domain, or the two are the same domain; otherwise EPERM.
    /// `enable` and `register_any_source` fall through to the dummy (allow).
    case silo
    /// FLASK with a policy, in the given mode.
    case flask(decider: any FlaskArgoDecider, mode: FlaskMode)
}

/// Hypervisor boot settings that shape Argo.
public struct ArgoBootSettings: Sendable {
    /// `argo=1`: Argo is on. Off means every op returns EOPNOTSUPP and no
    /// domain gets Argo state.
    public var argoEnabled: Bool
    /// `argo=mac-permissive=1`: wildcard (any-source) rings may be registered,
    /// subject to the XSM `register_any_source` hook; off means EPERM.
    public var macPermissive: Bool
    public var xsm: XSMModule

    public init(argoEnabled: Bool = true, macPermissive: Bool = false, xsm: XSMModule = .dummy) {
        self.argoEnabled = argoEnabled
        self.macPermissive = macPermissive
        self.xsm = xsm
    }

    /// Applies an `argo=` command-line value the way `parse_argo` does: a
    /// comma-separated list of booleans and `[no-]mac-permissive[=bool]`,
    /// later items winning. Returns false when some item was not understood
    /// (Xen reports the option as bad but keeps the items it did apply).
    @discardableResult
    public mutating func applyArgoOption(_ value: String) -> Bool {
        var ok = true
        for item in value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if let flag = Self.parseBool(item) {
                argoEnabled = flag
            } else if let flag = Self.parseNamedBoolean("mac-permissive", item) {
                macPermissive = flag
            } else {
                ok = false
            }
        }
        return ok
    }

    /// Xen's `parse_bool`: no/off/false/disable/0 and yes/on/true/enable/1.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "no", "off", "false", "disable", "0": false
        case "yes", "on", "true", "enable", "1": true
        default: nil
        }
    }

    /// Xen's `parse_boolean`: `name`, `no-name`, `name=<bool>`.
    static func parseNamedBoolean(_ name: String, _ text: String) -> Bool? {
        var text = Substring(text)
        var negated = false
        if text.hasPrefix("no-") {
            negated = true
            text = text.dropFirst(3)
        }
        guard text.hasPrefix(name) else { return nil }
        let rest = text.dropFirst(name.count)
        if rest.isEmpty { return !negated }
        guard !negated, rest.first == "=", let value = parseBool(String(rest.dropFirst())) else { return nil }
        return value
    }
}
