import ArgoEngine
import ArgusFirewall
import Flask
import Foundation
import TOMLReader
import XenProfile

/// One domain of the system being audited.
public struct DomainSpec: Sendable, Equatable, Codable {
    public var name: String
    public var domid: UInt16
    /// The FLASK label (`user:role:type[:range]`), as in xl's `seclabel`.
    public var label: String
    /// A control domain (matters to SILO); domain 0 is one unless told otherwise.
    public var privileged: Bool
    /// The name of the domain this one serves as device model, if any.
    public var target: String?
    /// Where the domain was declared, for error messages.
    public var location: SourceLocation?
    /// Where its label was written (the `label` value, or the xl config's `seclabel`).
    public var labelLocation: SourceLocation?
    /// Created before a `flask=late` policy was loaded (default: domain 0 only).
    public var createdBeforePolicy: Bool
    /// OpenXT: the VM's uuid, type (`svm` for user VMs) and seamless-traffic setting, which
    /// its firewall rules can name; and the rules themselves (`argo_firewall_rules`).
    public var uuid: String?
    public var vmType: String?
    public var seamless: Bool = false
    public var firewallRules: [WrittenOpenXTRule] = []
    /// The rings the domain registers: its services.
    public var rings: [ServiceRing] = []
    /// xl's `init_seclabel`: the label the domain is built with, when it differs from `label`
    /// (xl relabels it to `label` before unpausing it). Xen's `argo_init` runs when the domain
    /// is created, so this label decides whether it gets Argo state; `label` decides its calls.
    public var buildLabel: String?
    public var buildLabelLocation: SourceLocation?
    /// The guest type its xl config gives (`type`, `builder`), when there is one.
    public var guestType: XLGuestType?
    /// When the label is libxl's default, the initial SID it comes from (`domU` for a guest
    /// without `seclabel`, `domDM` for a stub domain without `device_model_stubdomain_seclabel`);
    /// `label` is that SID's context in the policy (`SystemInventory.resolvingInitialSIDLabels`).
    public var initialSIDLabel: String?
    /// The domain's own SELinux policy, its file_contexts and its Argo device nodes (resolved
    /// paths), for the layer inside the domain (docs/GUEST-POLICY.md, "End to end").
    public var selinuxPolicy: String?
    public var fileContexts: String?
    public var argoDevices: [String]?

    public init(name: String, domid: UInt16, label: String, privileged: Bool = false, target: String? = nil,
                location: SourceLocation? = nil, labelLocation: SourceLocation? = nil, createdBeforePolicy: Bool? = nil) {
        self.createdBeforePolicy = createdBeforePolicy ?? (domid == 0)
        self.name = name
        self.domid = domid
        self.label = label
        self.privileged = privileged
        self.target = target
        self.location = location
        self.labelLocation = labelLocation
    }
}

/// What the system file's `[boot]` table says, kept as written: what it means depends on
/// the Xen it boots (see `BootParameters.boot(on:)`), known only once the profile is.
public struct BootSource: Sendable, Equatable {
    /// `cmdline`: the Xen command line, parsed as Xen does.
    public var commandLine: String?
    /// The explicit keys, applied over the command line.
    public var argo: Bool?
    public var macPermissive: Bool?
    public var xsm: XSMModuleKind?
    public var flask: FlaskBootParameter?

    public init(commandLine: String? = nil, argo: Bool? = nil, macPermissive: Bool? = nil,
                xsm: XSMModuleKind? = nil, flask: FlaskBootParameter? = nil) {
        self.commandLine = commandLine
        self.argo = argo
        self.macPermissive = macPermissive
        self.xsm = xsm
        self.flask = flask
    }

    /// The parameters, with `hostCommandLine` (from `xl info`) standing in when the file
    /// gives no command line; and Xen's complaints about the command line.
    public func parameters(hostCommandLine: String? = nil, version: XenVersion = .head) -> (BootParameters, [XenCommandLine.Diagnostic]) {
        var (parameters, diagnostics) = XenCommandLine.parse(commandLine ?? hostCommandLine ?? "", version: version)
        if let argo { parameters.argo = argo }
        if let macPermissive { parameters.macPermissive = macPermissive }
        if let xsm { parameters.xsm = xsm }
        if let flask { parameters.flask = flask }
        return (parameters, diagnostics)
    }
}

/// What the system file's `[xen]` table says about which Xen runs (all optional).
public struct XenTable: Sendable, Equatable {
    public var version: XenVersion?
    public var flavour: XenFlavour?
    public var arch: XenArch?
    public var xsmBuild: XSMBuild?
    /// `xl_info`: a file holding the output of `xl info` on the host (resolved path).
    public var xlInfo: String?
    /// Where the table is, for messages.
    public var location: SourceLocation?

    public init(version: XenVersion? = nil, flavour: XenFlavour? = nil, arch: XenArch? = nil,
                xsmBuild: XSMBuild? = nil, xlInfo: String? = nil, location: SourceLocation? = nil) {
        self.version = version
        self.flavour = flavour
        self.arch = arch
        self.xsmBuild = xsmBuild
        self.xlInfo = xlInfo
        self.location = location
    }
}

/// The system file: which Xen, its boot settings, and the domains that run.
public struct SystemInventory: Sendable, Equatable {
    /// The boot as it takes effect on `profile`'s Xen.
    public var boot: BootSettings
    public var domains: [DomainSpec]
    /// Complaints Xen would print about the pasted command line, if one was given.
    public var bootDiagnostics: [XenCommandLine.Diagnostic]
    public var path: String
    /// The `[boot]` table as written.
    public var bootSource: BootSource
    /// The `[xen]` table as written.
    public var xen: XenTable
    /// The Xen the boot was worked out for (see `select(_:hostCommandLine:basis:)`).
    public private(set) var profile: XenProfile
    /// How that Xen was chosen, in words (for the outputs that name it).
    public private(set) var profileBasis: String
    /// Xen panics at boot with this message (an invalid `flask=` with FLASK the module).
    public private(set) var bootPanic: String?
    /// Why the boot differs from what the options seem to say.
    public private(set) var bootNotes: [String]
    /// `[firewall]`: raw viptables lines, run after the toolstack's rules.
    public var firewallLines: [WrittenVIPTablesLine] = []
    /// `[firewall] toolstack`: whether OpenXT's toolstack manages the firewall (default: when
    /// a VM has `argo_firewall_rules`).
    public var firewallToolstack: Bool?

    /// An inventory with a boot given as it takes effect (tests and generated systems).
    public init(boot: BootSettings, domains: [DomainSpec], bootDiagnostics: [XenCommandLine.Diagnostic] = [],
                path: String = "<memory>", profile: XenProfile = .head) {
        self.boot = boot
        self.domains = domains
        self.bootDiagnostics = bootDiagnostics
        self.path = path
        let flask: FlaskBootParameter = switch boot.flask {
        case .enforcing: .enforcing
        case .permissive: .permissive
        case .late: .late
        }
        bootSource = BootSource(argo: boot.argo, macPermissive: boot.macPermissive, xsm: boot.xsm, flask: flask)
        xen = XenTable()
        self.profile = profile
        profileBasis = "stated"
        bootPanic = nil
        bootNotes = []
    }

    /// Works the boot out for `profile`'s Xen: its build decides what `xsm=` and `flask=`
    /// mean. `hostCommandLine` (from `xl info`) is used when the file gives none.
    public mutating func select(_ profile: XenProfile, hostCommandLine: String? = nil, basis: String = "stated") {
        let (parameters, diagnostics) = bootSource.parameters(hostCommandLine: hostCommandLine, version: profile.version)
        let outcome = parameters.boot(on: profile)
        self.profile = profile
        profileBasis = basis
        boot = outcome.settings
        bootPanic = outcome.panic
        bootNotes = outcome.notes
        bootDiagnostics = diagnostics
    }

    /// The largest domid a real domain can have (DOMID_FIRST_RESERVED - 1).
    public static let maxDomid: UInt16 = 0x7fef

    /// Reads and checks a TOML system file (see docs/SYSTEM-FILE.md). The boot is worked
    /// out for the `[xen]` table's Xen (head where it says nothing) until `select` is called.
    public static func load(_ path: String) throws(InputError) -> SystemInventory {
        try parse(TOMLDocument(path: path))
    }

    /// Reads a system file from text (tests); `path` names it in errors and anchors `xl` paths.
    public static func parse(text: String, path: String) throws(InputError) -> SystemInventory {
        try parse(TOMLDocument(text: text, path: path))
    }

    static func parse(_ doc: TOMLDocument) throws(InputError) -> SystemInventory {
        let path = doc.path
        try doc.checkKeys(doc.root, allowed: ["boot", "domain", "firewall", "host", "xen", "xl", "xl_dir"], name: "")
        var source = BootSource()
        if let table = try doc.optionalTable("boot") {
            try doc.checkKeys(table, allowed: ["argo", "mac_permissive", "xsm", "flask", "cmdline"], name: "boot")
            source.commandLine = try doc.string(table, "cmdline", in: "boot")
            source.argo = try doc.bool(table, "argo", in: "boot")
            source.macPermissive = try doc.bool(table, "mac_permissive", in: "boot")
            if let s = try doc.string(table, "xsm", in: "boot") {
                guard let m = XSMModuleKind(rawValue: s) else { throw doc.error("xsm must be flask, dummy or silo, not '\(s)'", table: "boot", key: "xsm") }
                source.xsm = m
            }
            if let s = try doc.string(table, "flask", in: "boot") {
                let mode = FlaskBootParameter(Substring(s))
                if case .invalid = mode {
                    throw doc.error("flask must be enforcing, permissive, disabled or late, not '\(s)'", table: "boot", key: "flask")
                }
                source.flask = mode
            }
        }
        let baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent()
        let xen = try loadXenTable(doc, baseDirectory: baseDirectory, path: path)
        var domains: [DomainSpec] = []
        var names: [String: Int] = [:], domids: [UInt16: Int] = [:]
        var sources: [DomainSource] = []
        let tables = try doc.arrayOfTables("domain")
        for (i, t) in tables.enumerated() {
            try doc.checkKeys(t, allowed: ["name", "domid", "label", "privileged", "target", "xl", "created_before_policy",
                                           "uuid", "vm_type", "stubdom", "seamless", "argo_firewall_rules", "ring",
                                           "selinux_policy", "file_contexts", "argo_devices", "build_label"],
                              name: "domain", index: i)
            var name = try doc.string(t, "name", in: "domain", index: i)
            let label = try doc.string(t, "label", in: "domain", index: i)
            let labelLocation = label == nil ? nil : doc.location(table: "domain", index: i, key: "label")
            var config: XLConfig?
            if let xl = try doc.string(t, "xl", in: "domain", index: i) {
                let loaded = try loadXLConfig(doc, xl, baseDirectory: baseDirectory, at: doc.location(table: "domain", index: i, key: "xl"))
                config = loaded
                if name == nil { name = loaded.name }
                if name == nil { throw InputError("no 'name' in the xl config", file: loaded.path) }
            }
            guard let name, !name.isEmpty else { throw doc.error("a domain needs a name (or an xl config)", table: "domain", index: i) }
            // Names become parts of file names (ring dumps): identifiers only (Flask.DomainName).
            if t.entry("name") != nil {
                try DomainName.check(name, at: doc.location(table: "domain", index: i, key: "name"))
            }
            if label == nil, config == nil { throw doc.error("domain '\(name)' needs a label (or an xl config)", table: "domain", index: i) }
            // With an xl config and no domid, the domid is handed out as Xen would (assignDomids).
            var domid: UInt16?
            if let rawDomid = try doc.int(t, "domid", in: "domain", index: i) {
                guard rawDomid >= 0 && rawDomid <= Int(maxDomid) else {
                    throw doc.error("domid \(rawDomid) is out of range (0 to \(maxDomid))", table: "domain", index: i, key: "domid")
                }
                domid = UInt16(rawDomid)
            } else if config == nil {
                throw doc.error("domain '\(name)' needs a domid", table: "domain", index: i)
            }
            if let first = names[name] {
                throw doc.error("duplicate domain name '\(name)' (first at line \(doc.line(table: "domain", index: first) ?? 0))", table: "domain", index: i, key: "name")
            }
            if let domid, let first = domids[domid] {
                throw doc.error("duplicate domid \(domid) (also '\(domains[first].name)')", table: "domain", index: i, key: "domid")
            }
            names[name] = i
            if let domid { domids[domid] = i }
            let privileged = try doc.bool(t, "privileged", in: "domain", index: i) ?? (domid == 0)
            let target = try doc.string(t, "target", in: "domain", index: i)
            let beforePolicy = try doc.bool(t, "created_before_policy", in: "domain", index: i)
            var spec = DomainSpec(
                name: name, domid: domid ?? 0, label: label ?? "", privileged: privileged, target: target,
                location: doc.location(table: "domain", index: i), labelLocation: labelLocation,
                createdBeforePolicy: beforePolicy ?? (domid == 0)
            )
            if let config { spec.apply(config, labelGiven: label != nil) }
            // `build_label`: xl's init_seclabel written by hand (it wins over the config's).
            if let build = try doc.string(t, "build_label", in: "domain", index: i) {
                spec.buildLabel = build
                spec.buildLabelLocation = doc.location(table: "domain", index: i, key: "build_label")
            }
            try readOpenXTKeys(doc, t, index: i, into: &spec)
            try readGuestPolicyKeys(doc, t, index: i, baseDirectory: baseDirectory, into: &spec)
            domains.append(spec)
            sources.append(DomainSource(config: config, domidGiven: domid != nil))
        }
        try resolveStubdoms(doc, tables: tables, domains: &domains, names: names)
        try addHostDomains(doc, baseDirectory: baseDirectory, domains: &domains, sources: &sources, names: &names)
        for (i, d) in domains.enumerated() {
            if let target = d.target {
                guard names[target] != nil else {
                    throw doc.error("unknown target domain '\(target)'", table: "domain", index: i, key: "target")
                }
                if target == d.name { throw doc.error("a domain cannot be its own device model", table: "domain", index: i, key: "target") }
            }
        }
        try checkServices(doc, domains: domains, names: names)
        var inventory = SystemInventory(boot: BootSettings(), domains: domains, path: path)
        try inventory.readFirewallTable(doc, baseDirectory: baseDirectory)
        inventory.bootSource = source
        inventory.xen = xen
        inventory.select(XenProfile(
            version: xen.version ?? .head, flavour: xen.flavour ?? .upstream, arch: xen.arch ?? .x86,
            xsmBuild: xen.xsmBuild ?? .default), basis: xen.version == nil ? "not stated" : "[xen] of the system file")
        return inventory
    }

    private static func loadXenTable(_ doc: TOMLDocument, baseDirectory: URL, path: String) throws(InputError) -> XenTable {
        guard let table = try doc.optionalTable("xen") else { return XenTable() }
        try doc.checkKeys(table, allowed: ["version", "flavour", "arch", "xsm_build", "xl_info"], name: "xen")
        var xen = XenTable(location: SourceLocation(file: path, line: doc.line(table: "xen")))
        if let s = try doc.string(table, "version", in: "xen") {
            guard let v = XenVersion(parsing: s), v.isKnown else {
                throw doc.error("unknown Xen version '\(s)' (\(XenVersion.first) to \(XenVersion.newestRelease), head, or v2-series)", table: "xen", key: "version")
            }
            xen.version = v
        }
        if let s = try doc.string(table, "flavour", in: "xen") {
            guard let f = XenFlavour(rawValue: s) else { throw doc.error("flavour must be upstream or openxt, not '\(s)'", table: "xen", key: "flavour") }
            xen.flavour = f
        }
        if let s = try doc.string(table, "arch", in: "xen") {
            guard let a = XenArch(rawValue: s) else { throw doc.error("arch must be x86 or arm, not '\(s)'", table: "xen", key: "arch") }
            xen.arch = a
        }
        if let s = try doc.string(table, "xsm_build", in: "xen") {
            guard let b = XSMBuild(rawValue: s) else {
                throw doc.error("xsm_build must be \(XSMBuild.allCases.map(\.rawValue).joined(separator: ", ")), not '\(s)'", table: "xen", key: "xsm_build")
            }
            xen.xsmBuild = b
        }
        if let s = try doc.string(table, "xl_info", in: "xen") {
            xen.xlInfo = s.hasPrefix("/") ? s : baseDirectory.appendingPathComponent(s).path
        }
        return xen
    }
}
