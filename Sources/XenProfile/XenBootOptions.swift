/// The XSM module the hypervisor runs.
public enum XSMModuleKind: String, Sendable, Codable, CaseIterable {
    /// Every Argo hook allows (Xen without a security module).
    case dummy
    /// FLASK: the policy decides.
    case flask
    /// SILO: unicast only between a domain and itself or a control domain.
    case silo
}

/// FLASK's mode once it runs.
public enum FlaskMode: String, Sendable, Codable, CaseIterable {
    /// Denials are enforced.
    case enforcing
    /// Denials are logged, not enforced.
    case permissive
    /// `flask=late`: no policy at boot. Until one is loaded every check passes, so the
    /// domains created before the load got their Argo state; after the load, enforcing.
    case late
}

/// The value of `flask=` as `parse_flask_param` (xen/xsm/flask/flask_op.c) records it.
public enum FlaskBootParameter: Sendable, Equatable {
    case enforcing, permissive, disabled, late
    /// Anything else, a bare `flask` (the value "") and `no-flask` (the value "no"):
    /// recorded as FLASK_BOOTPARAM_INVALID, which makes `flask_init` panic.
    case invalid(String)

    public init(_ value: Substring) {
        switch value {
        case "enforcing": self = .enforcing
        case "permissive": self = .permissive
        case "disabled": self = .disabled
        case "late": self = .late
        default: self = .invalid(String(value))
        }
    }
}

/// What a Xen command line (or the system file's `[boot]`) says, before the build decides
/// what it means: `xsm=` and `flask=` are only read once the profile is known.
public struct BootParameters: Sendable, Equatable {
    /// `argo=1`: Argo is available (off by default in Xen).
    public var argo: Bool
    /// `argo=mac-permissive=1`: wildcard rings may be registered.
    public var macPermissive: Bool
    /// The last valid `xsm=` value; nil: the build's default module.
    public var xsm: XSMModuleKind?
    /// The last `flask=` value; nil: not given (FLASK_BOOTPARAM_ENFORCING).
    public var flask: FlaskBootParameter?

    public init(argo: Bool = false, macPermissive: Bool = false, xsm: XSMModuleKind? = nil, flask: FlaskBootParameter? = nil) {
        self.argo = argo
        self.macPermissive = macPermissive
        self.xsm = xsm
        self.flask = flask
    }

    /// The boot these parameters give on `profile`'s build, as `xsm_core_init` and
    /// `flask_init` decide it: `xsm=` alone picks the module (else the build's default);
    /// `flask=` only sets FLASK's mode and only matters when FLASK runs; `flask=disabled`
    /// makes `flask_init` return nothing, so the dummy module is installed; an invalid
    /// `flask=` value panics Xen.
    public func boot(on profile: XenProfile) -> BootOutcome {
        var notes: [String] = []
        guard profile.hasXSM else {
            if xsm != nil || flask != nil { notes.append("xsm= and flask= are unknown options on a build without XSM: the dummy module runs") }
            return BootOutcome(settings: BootSettings(argo: argo, macPermissive: macPermissive, xsm: .dummy), panic: nil, notes: notes)
        }
        let module = xsm ?? profile.defaultModule
        var settings = BootSettings(argo: argo, macPermissive: macPermissive, xsm: module)
        guard module == .flask else {
            if let flask, flask != .enforcing { notes.append("flask= is ignored: the \(module.rawValue) module runs") }
            return BootOutcome(settings: settings, panic: nil, notes: notes)
        }
        switch flask ?? .enforcing {
        case .enforcing: settings.flask = .enforcing
        case .permissive: settings.flask = .permissive
        case .late: settings.flask = .late
        case .disabled:
            settings.xsm = .dummy
            notes.append("flask=disabled: FLASK does not start, so the dummy module runs")
        case .invalid(let value):
            return BootOutcome(settings: settings, panic: "Flask: Invalid value for flask= boot parameter (\"\(value)\")", notes: notes)
        }
        return BootOutcome(settings: settings, panic: nil, notes: notes)
    }
}

/// The hypervisor boot options that decide whether and how Argo works, as they take effect.
public struct BootSettings: Sendable, Equatable, Codable {
    /// `argo=1`: Argo is available (off by default in Xen).
    public var argo: Bool
    /// `argo=mac-permissive=1`: wildcard rings may be registered.
    public var macPermissive: Bool
    /// The module that runs.
    public var xsm: XSMModuleKind
    /// FLASK's mode (meaningful when `xsm` is `.flask`).
    public var flask: FlaskMode

    public init(argo: Bool = false, macPermissive: Bool = false, xsm: XSMModuleKind = .flask, flask: FlaskMode = .enforcing) {
        self.argo = argo
        self.macPermissive = macPermissive
        self.xsm = xsm
        self.flask = flask
    }
}

/// The boot a profile and its parameters give, or the reason Xen does not boot.
public struct BootOutcome: Sendable, Equatable {
    public var settings: BootSettings
    /// Xen panics at boot with this message: nothing runs.
    public var panic: String?
    /// Why the result is not what the options seem to say, in words.
    public var notes: [String]
}

/// Reads a Xen command line the way Xen's boot-time parser does, for the options that
/// matter to Argo: `argo=`, `xsm=` and `flask=`.
///
/// Quirks kept on purpose: options are split on spaces only (no quoting); a bare `argo`
/// hands an empty list to the argo parser, which rejects it and leaves Argo as it was (off
/// by default); `no-argo` means `argo=no`; `mac-permissive` is only understood inside
/// `argo=`; an unknown item in the list is an error but earlier items still took effect.
/// A custom option written bare gets the value "", written `no-NAME` the value "no", so a
/// bare `flask` and `no-flask` both record an invalid FLASK mode. `xsm=` with an unknown
/// name is refused and leaves the previous choice.
public enum XenCommandLine {
    /// A complaint Xen would print at boot ("parameter ... has invalid value ...").
    public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
        public var option: String
        public var value: String
        public var description: String { "parameter \"\(option)\" has invalid value \"\(value)\"" }
    }

    /// Applies `cmdline` on top of `base` (Xen's defaults unless told otherwise), as
    /// `version`'s parser reads it (the v2 series had its own Argo options: `parseV2Series`).
    public static func parse(_ cmdline: String, base: BootParameters = BootParameters(),
                             version: XenVersion = .head) -> (BootParameters, [Diagnostic]) {
        if version == .v2Series { return parseV2Series(cmdline, base: base) }
        var parameters = base
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
            case "argo":
                var boot = BootSettings(argo: parameters.argo, macPermissive: parameters.macPermissive)
                ok = parseArgo(value, into: &boot)
                parameters.argo = boot.argo
                parameters.macPermissive = boot.macPermissive
            case "xsm":
                if let module = XSMModuleKind(rawValue: String(value)) { parameters.xsm = module; ok = true } else { ok = false }
            default:
                let flask = FlaskBootParameter(value)
                parameters.flask = flask
                if case .invalid = flask { ok = false } else { ok = true }
            }
            if !ok { diagnostics.append(.init(option: String(word.prefix { $0 != "=" }), value: String(value))) }
        }
        return (parameters, diagnostics)
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

    // MARK: The v2 series

    /// The command line as the v2-series argo.c reads it (docs/XEN-PROFILES.md): `argo` is
    /// a plain boolean option (`argo`, `no-argo`, `argo=<bool>`, `no-argo=<bool>` inverted;
    /// any other value, `mac-permissive` included, is refused and changes nothing), and
    /// `argo-mac=enforcing|permissive` (default enforcing) says whether wildcard rings may
    /// be registered. `argo-mac` is a custom option: a bare `argo-mac` (value "") and
    /// `no-argo-mac` (value "no") are refused like any unknown value, leaving the setting
    /// as it was. `xsm=` and `flask=` are read as 4.12.0 reads them.
    static func parseV2Series(_ cmdline: String, base: BootParameters) -> (BootParameters, [Diagnostic]) {
        var parameters = base
        var diagnostics: [Diagnostic] = []
        for word in cmdline.split(separator: " ", omittingEmptySubsequences: true) {
            let eq = word.firstIndex(of: "=")
            let written = eq.map { word[..<$0] } ?? word[...]
            let value = eq.map { word[word.index(after: $0)...] } ?? ""
            let negated = written.hasPrefix("no-")
            switch negated ? written.dropFirst(3) : written {
            case "argo":
                // A boolean option: no value means true; "no-" inverts what was read.
                guard let b = value.isEmpty ? true : parseBool(value) else {
                    diagnostics.append(.init(option: String(written), value: String(value)))
                    continue
                }
                parameters.argo = negated ? !b : b
            case "argo-mac":
                // A custom option: "no-argo-mac" hands it "no", "no-argo-mac=x" is refused
                // before it is called; neither is a value it knows.
                switch negated ? (value.isEmpty ? "no" : value) : value {
                case "enforcing" where !negated: parameters.macPermissive = false
                case "permissive" where !negated: parameters.macPermissive = true
                case let other: diagnostics.append(.init(option: String(written), value: String(other)))
                }
            default:
                // xsm=, flask= and the rest: as 4.12.0 reads them, one word at a time so
                // that the complaints keep the command line's order.
                let (next, more) = parse(String(word), base: parameters, version: .release(major: 4, minor: 12, patch: 0))
                parameters.xsm = next.xsm
                parameters.flask = next.flask
                diagnostics += more
            }
        }
        return (parameters, diagnostics)
    }
}
