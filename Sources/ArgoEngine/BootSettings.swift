import XenProfile

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
    /// How this Xen's engine differs from upstream head's (see `ArgoEngineBehaviour`).
    public var behaviour: ArgoEngineBehaviour

    public init(argoEnabled: Bool = true, macPermissive: Bool = false, xsm: XSMModule = .dummy,
                behaviour: ArgoEngineBehaviour = .head) {
        self.argoEnabled = argoEnabled
        self.macPermissive = macPermissive
        self.xsm = xsm
        self.behaviour = behaviour
    }

    /// Applies an `argo=` command-line value the way `parse_argo` does (see
    /// `XenCommandLine`). Returns false when some item was not understood; Xen
    /// reports the option as bad but keeps the items it did apply.
    @discardableResult
    public mutating func applyArgoOption(_ value: String) -> Bool {
        var boot = BootSettings(argo: argoEnabled, macPermissive: macPermissive)
        let ok = XenCommandLine.parseArgo(Substring(value), into: &boot)
        argoEnabled = boot.argo
        macPermissive = boot.macPermissive
        return ok
    }

    /// The engine's settings for a boot configuration of `profile`'s Xen; `decider`
    /// answers for FLASK.
    public init(_ boot: BootSettings, profile: XenProfile, decider: (any FlaskArgoDecider)?) {
        let module: XSMModule = switch boot.xsm {
        case .dummy: .dummy
        case .silo: .silo
        case .flask: decider.map { .flask(decider: $0, mode: boot.flask) } ?? .dummy
        }
        self.init(argoEnabled: boot.argo, macPermissive: boot.macPermissive, xsm: module,
                  behaviour: ArgoEngineBehaviour(profile))
    }
}
