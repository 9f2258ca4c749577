/// Whose Xen: upstream's, or a distribution's patched one.
public enum XenFlavour: String, Sendable, Codable, CaseIterable {
    case upstream
    /// OpenXT (OpenXT/xenclient-oe, `recipes-extended/xen/files/`): Xen 4.21 with its own
    /// Argo patches. What each patch changes is a property of `XenProfile`.
    case openxt
}

/// The architecture Xen is built for; it changes the build's XSM defaults and soft reset.
public enum XenArch: String, Sendable, Codable, CaseIterable {
    case x86
    case arm
}

/// How Xen's XSM framework was configured at build time (CONFIG_XSM and the "Default XSM
/// implementation" choice of xen/common/Kconfig). With XSM on, FLASK and SILO are both
/// compiled in (both `def_bool y`); without it only the dummy module exists.
public enum XSMBuild: String, Sendable, Codable, CaseIterable {
    /// XSM on, with Kconfig's default module for the arch and version (see `defaultModule`).
    case `default`
    /// XSM on, FLASK the default module (CONFIG_XSM_FLASK_DEFAULT).
    case flask
    /// XSM on, SILO the default module (CONFIG_XSM_SILO_DEFAULT).
    case silo
    /// XSM on, the dummy module by default (CONFIG_XSM_DUMMY_DEFAULT).
    case dummy
    /// CONFIG_XSM off: only the dummy module; `xsm=` and `flask=` are not options at all.
    case none
}

/// Which Xen a prediction is for: version, flavour, architecture and XSM build. Built once
/// by the command (from `--xen`, `--arch`, the system file's `[xen]`, `xl info`, or inferred
/// from the policy) and passed down to every layer; no layer decides it again.
public struct XenProfile: Sendable, Hashable, Codable, CustomStringConvertible {
    public var version: XenVersion
    public var flavour: XenFlavour
    public var arch: XenArch
    public var xsmBuild: XSMBuild

    public init(version: XenVersion = .head, flavour: XenFlavour = .upstream, arch: XenArch = .x86, xsmBuild: XSMBuild = .default) {
        self.version = version
        self.flavour = flavour
        self.arch = arch
        self.xsmBuild = xsmBuild
    }

    /// What Argus modelled before profiles: upstream head on x86, XSM with FLASK by default.
    public static let head = XenProfile()

    /// `Xen 4.16.0 (upstream, x86)`, with the XSM build when it is not the default.
    public var description: String {
        "Xen \(version) (\(flavour.rawValue), \(arch.rawValue)\(xsmBuild == .default ? "" : ", xsm build \(xsmBuild.rawValue)"))"
    }

    /// `4.16.0`, or `4.21.0+openxt`: the spelling `--xen` takes.
    public var versionSpelling: String {
        flavour == .upstream ? version.description : "\(version)+\(flavour.rawValue)"
    }

    // MARK: The build

    /// Whether the XSM framework is compiled in; without it only the dummy module exists.
    public var hasXSM: Bool { xsmBuild != .none }

    /// The module Xen runs when the command line names none.
    ///
    /// Kconfig's choice: on Arm, SILO since cb8e0d28e8 ("Turn on SILO mode by default on
    /// Arm", 4.13.0; backported as 6fabde3aaf for 4.12.1); before it, and on x86, FLASK.
    public var defaultModule: XSMModuleKind {
        switch xsmBuild {
        case .none, .dummy: .dummy
        case .flask: .flask
        case .silo: .silo
        case .default: arch == .arm && Self.armSiloDefault.isIn(version) ? .silo : .flask
        }
    }

    static let armSiloDefault = XenChange(
        commit: "cb8e0d28e8", firstReleases: [.release(major: 4, minor: 12, patch: 1), .release(major: 4, minor: 13, patch: 0)])

    /// What XEN_DOMCTL_soft_reset does to a domain's Argo state on this build.
    public var softReset: SoftResetBehaviour {
        guard arch == .arm else { return .tearsDownArgo }
        return Self.softResetX86Only.isIn(version) ? .refused : .tearsDownArgoThenCrashes
    }

    /// dedbb0e212 ("domain: adjust soft-reset arch dependency", 4.22.0): HAS_SOFT_RESET is
    /// implied by x86 only, and the domctl fails early with EOPNOTSUPP elsewhere.
    static let softResetX86Only = XenChange(commit: "dedbb0e212", firstReleases: [.release(major: 4, minor: 22, patch: 0)])

    /// Whether SILO checks Argo at all. Before 599bca5884 ("xsm: add argo hooks to SILO",
    /// 4.16.0, not backported) SILO had no Argo hooks: its `register_single_source` and
    /// `send` fell through to the dummy module and allowed everything.
    public var siloChecksArgo: Bool { Self.siloArgoHooks.isIn(version) }

    static let siloArgoHooks = XenChange(commit: "599bca5884", firstReleases: [.release(major: 4, minor: 16, patch: 0)])

    // MARK: What is not modelled

    /// Why Argus cannot decide for this profile (one line, for a refusal with exit 2), or nil.
    ///
    /// The v2 series: the argo.c of the series that could be read (docs/XEN-PROFILES.md,
    /// "v2-series") calls no XSM hook at all (no `enable`, `register_single_source`,
    /// `register_any_source` or `send` check), and the series' own XSM patches were not
    /// found, so which FLASK checks it made is unknown; its register op also takes page
    /// descriptors, an ABI the engine does not model. Every decision refuses.
    public var notModelled: String? {
        guard version == .v2Series else { return nil }
        if flavour != .upstream { return "the \(flavour.rawValue) flavour is not modelled for v2-series: its patches are for released Xen" }
        return "Argo access control is not modelled for v2-series: the series' argo.c that was read makes no XSM check and its XSM patches were not found (docs/XEN-PROFILES.md, v2-series)"
    }

    // MARK: Flavour patches

    /// OpenXT's `argo-quiet-xsm-check-during-init.patch`: the `enable` check `argo_init`
    /// makes at domain creation writes no AVC record.
    public var quietEnableCheckAtCreation: Bool { flavour == .openxt }

    /// OpenXT's `argo-add-viptables.patch`: a port-level firewall checked in sendv
    /// (`VIPTables` in ArgoEngine).
    public var argoFirewall: Bool { flavour == .openxt }
}

/// What a soft reset does, per build.
public enum SoftResetBehaviour: String, Sendable, Codable {
    /// x86: `argo_soft_reset` tears the domain's rings down; the domain goes on.
    case tearsDownArgo
    /// Arm before 4.22.0: `domain_soft_reset` calls `argo_soft_reset`, then Arm's
    /// `arch_domain_soft_reset` fails with ENOSYS and the toolstack's domain is crashed.
    case tearsDownArgoThenCrashes
    /// Arm from 4.22.0 (dedbb0e212): the domctl returns EOPNOTSUPP before touching anything.
    case refused
}
