/// The XSM module the hypervisor runs.
public enum XSMModuleKind: String, Sendable, Codable, CaseIterable {
    /// Every Argo hook allows (Xen without a security module).
    case dummy
    /// FLASK: the policy decides.
    case flask
    /// SILO: unicast only between a domain and itself or a control domain.
    case silo
}

/// FLASK's boot mode.
public enum FlaskMode: String, Sendable, Codable, CaseIterable {
    /// Denials are enforced.
    case enforcing
    /// Denials are logged, not enforced.
    case permissive
}

/// The hypervisor boot options that decide whether and how Argo works.
public struct BootSettings: Sendable, Equatable, Codable {
    /// `argo=1`: Argo is available (off by default in Xen).
    public var argo: Bool
    /// `argo=mac-permissive=1`: wildcard rings may be registered.
    public var macPermissive: Bool
    public var xsm: XSMModuleKind
    public var flask: FlaskMode

    public init(argo: Bool = false, macPermissive: Bool = false, xsm: XSMModuleKind = .flask, flask: FlaskMode = .enforcing) {
        self.argo = argo
        self.macPermissive = macPermissive
        self.xsm = xsm
        self.flask = flask
    }
}

/// Reads a Xen command line the way Xen's boot-time parser does, for the options that
/// matter to Argo: `argo=`, `xsm=` and `flask=`.
///
/// Quirks kept on purpose: options are split on spaces only (no quoting); a bare `argo`
/// hands an empty list to the argo parser, which rejects it and leaves Argo as it was (off
/// by default); `no-argo` means `argo=no`; `mac-permissive` is only understood inside
/// `argo=`; an unknown item in the list is an error but earlier items still took effect.
public enum XenCommandLine {
    /// A complaint Xen would print at boot ("parameter ... has invalid value ...").
    public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
        public var option: String
        public var value: String
        public var description: String { "parameter \"\(option)\" has invalid value \"\(value)\"" }
    }

    /// Applies `cmdline` on top of `base` (Xen's defaults unless told otherwise).
    public static func parse(_ cmdline: String, base: BootSettings = BootSettings()) -> (BootSettings, [Diagnostic]) {
        var settings = base
        var diagnostics: [Diagnostic] = []
        for word in cmdline.split(separator: " ", omittingEmptySubsequences: true) {
            var key = Substring(word)
            var value: Substring = ""
            if let eq = word.firstIndex(of: "=") {
                key = word[..<eq]
                value = word[word.index(after: eq)...]
            }
            let negated = key.hasPrefix("no-")
            if negated { key = key.dropFirst(3) }
            guard ["argo", "xsm", "flask"].contains(key) else { continue }
            // A custom option written "no-NAME" receives the value "no"; with a value it is invalid.
            if negated {
                guard value.isEmpty else {
                    diagnostics.append(.init(option: String(word.prefix { $0 != "=" }), value: String(value)))
                    continue
                }
                value = "no"
            }
            let ok: Bool
            switch key {
            case "argo": ok = parseArgo(value, into: &settings)
            case "xsm":
                if let module = XSMModuleKind(rawValue: String(value)) { settings.xsm = module; ok = true } else { ok = false }
            default:
                switch value {
                case "enforcing", "late": settings.flask = .enforcing; ok = true
                case "permissive": settings.flask = .permissive; ok = true
                case "disabled": settings.xsm = .dummy; ok = true
                default: ok = false
                }
            }
            if !ok { diagnostics.append(.init(option: String(word.prefix { $0 != "=" }), value: String(value))) }
        }
        return (settings, diagnostics)
    }

    /// The `argo=` list: booleans switch Argo, `[no-]mac-permissive[=bool]` the wildcard option.
    public static func parseArgo(_ list: Substring, into settings: inout BootSettings) -> Bool {
        var ok = true
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            if let b = parseBool(item) {
                settings.argo = b
            } else if let b = parseNamedBool("mac-permissive", item) {
                settings.macPermissive = b
            } else {
                ok = false
            }
        }
        return ok
    }

    /// Xen's `parse_bool`: exactly these spellings, nothing else.
    static func parseBool(_ s: Substring) -> Bool? {
        switch s {
        case "1", "on", "yes", "true", "enable": true
        case "0", "no", "off", "false", "disable": false
        default: nil
        }
    }

    /// Xen's `parse_boolean` for one name: `name`, `no-name`, or `name=<bool>`.
    static func parseNamedBool(_ name: String, _ item: Substring) -> Bool? {
        var s = item
        let negated = s.hasPrefix("no-")
        if negated { s = s.dropFirst(3) }
        guard s.hasPrefix(name) else { return nil }
        if s.count == name.count { return !negated }
        if negated { return nil }
        let rest = s.dropFirst(name.count)
        guard rest.first == "=" else { return nil }
        return parseBool(rest.dropFirst())
    }
}
