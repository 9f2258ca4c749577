import ArgumentParser
import ArgusAnalysis
import Flask
import Foundation
import XenProfile

/// `argus diff`: what changes in Argo between two policies, and why.
public struct DiffCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare the Argo audits of two policies over one system (exit 0 identical, 1 different).",
        discussion: """
            Per domain (argo, register_any_source) and per ordered pair (register_single_source, send, \
            notify, channel): what OLD allowed and NEW does not, and the reverse, each with the hooks \
            that changed answer: the granting rules on the side that allows it, the denial reasons \
            (missing rule, boolean, constraint, bound) on the other. Both policies are built with the \
            same --flask-dir, --mls and --bool. With --old-flask-dir and --new-flask-dir the FLASK \
            definitions are compared too: removed, renumbered or renamed classes, permissions and \
            initial SIDs count as differences. Formats: text, json, markdown. See docs/DIFF.md.
            """
    )
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json, markdown }

    @Argument(help: ArgumentHelp("The policy before the change (any POLICY form).", valueName: "old"))
    public var oldPolicy: String
    @Argument(help: ArgumentHelp("The policy after the change (any POLICY form).", valueName: "new"))
    public var newPolicy: String
    @Option(name: .customLong("system"), help: ArgumentHelp("The system file (TOML): boot settings and domains.", valueName: "file"))
    public var systemFileOption: String?
    @Option(name: .customLong("system-from-xl-list"), help: HostDomainSource.xlListHelp)
    public var xlList: String?
    @Option(name: .customLong("new-system"), help: ArgumentHelp(
        "The system file after the change (same domains; its rings or firewall may differ). Implies --services.", valueName: "file"))
    public var newSystemFile: String?
    @Flag(help: "Compare services too: firewall rules added and removed, and the (sender, service) pairs opened or closed (docs/FIREWALL.md).")
    public var services = false
    @Option(name: .customLong("flask-dir"), help: ArgumentHelp(
        "Hypervisor definitions both policies are built with; default: found beside each tree, else Xen's.", valueName: "dir"))
    public var flaskDirectory: String?
    @Flag(help: "Build policy source trees with MLS (Xen's CONFIG_MLS).") public var mls = false
    @OptionGroup public var compileLimits: CompileLimitOptions
    @Option(name: .customLong("bool"), help: ArgumentHelp(
        "Set a policy boolean on both sides, as flask-set-bool would (repeatable).", valueName: "name=true|false"))
    public var booleans: [String] = []
    @Option(name: .customLong("old-flask-dir"), help: ArgumentHelp(
        "FLASK definitions of the old hypervisor, compared with --new-flask-dir.", valueName: "dir"))
    public var oldFlaskDirectory: String?
    @Option(name: .customLong("new-flask-dir"), help: ArgumentHelp(
        "FLASK definitions of the new hypervisor, compared with --old-flask-dir.", valueName: "dir"))
    public var newFlaskDirectory: String?
    @Option(name: .customLong("old-xen"), help: ArgumentHelp(
        "The Xen the old policy runs on (default: --xen, the system file's [xen], else inferred from OLD).", valueName: "version[+flavour]"))
    public var oldXen: String?
    @Option(name: .customLong("new-xen"), help: ArgumentHelp(
        "The Xen the new policy runs on (default: --xen, the system file's [xen], else inferred from NEW).", valueName: "version[+flavour]"))
    public var newXen: String?
    @OptionGroup(title: "Which Xen (both sides)") public var xen: XenOptions
    @Option(help: "Output format: text, json or markdown.") public var format: Format = .text
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    public var output: String?

    public init() {}

    public func validate() throws {
        try HostDomainSource.validate(systemFile: systemFileOption, xlList: xlList, required: true)
    }

    /// The system file, or the `xl list -Z` output the domains come from.
    var systemFile: String { HostDomainSource.path(systemFile: systemFileOption, xlList: xlList) }

    public func run(in context: CommandContext) throws {
        guard (oldFlaskDirectory == nil) == (newFlaskDirectory == nil) else {
            let given = oldFlaskDirectory == nil ? "--new-flask-dir" : "--old-flask-dir"
            let missing = oldFlaskDirectory == nil ? "--old-flask-dir" : "--new-flask-dir"
            throw InputError("needs \(missing) too (the definitions of both sides are compared)", option: given)
        }
        var systemOptions = SystemOptions()
        systemOptions.systemFile = systemFile
        systemOptions.booleans = booleans
        let booleanValues = try systemOptions.booleanValues()
        // validate() saw to it that exactly one of the two is given.
        guard let inventory = try HostDomainSource.load(systemFile: systemFileOption, xlList: xlList, xlInfo: xen.xlInfo)
        else { preconditionFailure("diff without --system or --system-from-xl-list") }
        // Each side with its own Xen: its profile, its definitions, its numbering.
        let (old, oldXen) = try resolveSide(oldPolicy, side: "OLD", xenSpelling: oldXen, flaskDirectory: flaskDirectory ?? oldFlaskDirectory,
                                            inventory: inventory, booleans: booleanValues, in: context)
        let newInventory = try newSystemFile.map { path throws(InputError) in try SystemInventory.load(path) } ?? inventory
        if newInventory.domains.map(\.name) != inventory.domains.map(\.name) {
            throw InputError("the new system must declare the same domains, in the same order, as \(systemFile)", file: newSystemFile ?? systemFile)
        }
        let (new, newXen) = try resolveSide(newPolicy, side: "NEW", xenSpelling: newXen, flaskDirectory: flaskDirectory ?? newFlaskDirectory,
                                            inventory: newInventory, booleans: booleanValues, in: context)

        var definitions: DefinitionsComparison?
        if let oldDir = oldFlaskDirectory, let newDir = newFlaskDirectory {
            let diff = DefinitionsDiff(old: try FlaskDefinitions.load(directory: oldDir), new: try FlaskDefinitions.load(directory: newDir))
            definitions = DefinitionsComparison(oldDirectory: oldDir, newDirectory: newDir, diff: diff)
        } else if oldXen.definitions != newXen.definitions {
            definitions = DefinitionsComparison(
                oldDirectory: oldXen.profile.description, newDirectory: newXen.profile.description,
                diff: DefinitionsDiff(old: oldXen.definitions, new: newXen.definitions))
        }
        let report = PolicyDiffReport(
            oldPolicy: oldPolicy, newPolicy: newPolicy, systemFile: systemFile,
            flows: AuditDiff(old: old, new: new), definitions: definitions,
            oldXen: oldXen.profile, newXen: newXen.profile,
            services: services || newSystemFile != nil ? ServiceDiff(old: ServiceAudit(ArgoAudit(old)), new: ServiceAudit(ArgoAudit(new))) : nil)
        let text: String = switch format {
        case .text: DiffFormatter.text(report)
        case .json: try DiffFormatter.json(report)
        case .markdown: DiffFormatter.markdown(report)
        }
        if let output {
            try writeAtomically(Array(text.utf8), to: output)
        } else {
            context.standardOutput.write(text)
        }
        if report.hasDifferences { throw ExitCode(ArgusExitStatus.negative) }
    }

    /// One side: its Xen (said, else inferred and noted on standard error), its policy loaded
    /// with that Xen's numbering, refused when that Xen would not load it (unless --force).
    func resolveSide(
        _ path: String, side: String, xenSpelling: String?, flaskDirectory: String?,
        inventory: SystemInventory, booleans: [String: Bool], in context: CommandContext
    ) throws -> (ResolvedSystem, SelectedXen) {
        let selected = try xen.select(policyPath: path, flaskDirectory: flaskDirectory, table: inventory.xen,
                                      systemFile: systemFile, version: xenSpelling, side: side, in: context)
        var sideInventory = inventory
        sideInventory.select(selected.profile, hostCommandLine: selected.hostCommandLine, basis: selected.basis)
        var loader = PolicyLoader(flaskDirectory: flaskDirectory, mls: mls, definitions: selected.definitions)
        loader.toolLimits = try compileLimits.limits()
        let system = try Self.resolve(path, side: side, loader: loader, inventory: sideInventory, booleans: booleans)
        try xen.admit(system.policy, on: selected, flaskDirectory: flaskDirectory, side: side, in: context)
        return (system, selected)
    }

    /// Loads one side and binds the inventory; errors say which side they come from.
    static func resolve(
        _ path: String, side: String, loader: PolicyLoader, inventory: SystemInventory, booleans: [String: Bool]
    ) throws(InputError) -> ResolvedSystem {
        do {
            return try ResolvedSystem(inventory: inventory, policy: try loader.load(path), booleans: booleans)
        } catch {
            throw InputError("\(side) policy \(path): \(error.message)", at: error.location)
        }
    }
}

/// Both FLASK definition directories and how they differ.
public struct DefinitionsComparison: Sendable, Equatable {
    public var oldDirectory: String
    public var newDirectory: String
    public var diff: DefinitionsDiff
}

/// Everything `argus diff` found, before it is formatted.
public struct PolicyDiffReport: Sendable, Equatable {
    public var oldPolicy: String
    public var newPolicy: String
    public var systemFile: String
    public var flows: AuditDiff
    public var definitions: DefinitionsComparison?
    /// The Xen each side runs on.
    public var oldXen: XenProfile = .head
    public var newXen: XenProfile = .head
    /// With --services or --new-system: firewall and service changes.
    public var services: ServiceDiff?

    /// Exit status 1: an Argo decision changed, the definitions changed incompatibly, or a
    /// service opened or closed (a firewall rule change that opens or closes nothing is reported, not counted).
    public var hasDifferences: Bool {
        !flows.isEmpty || !(definitions?.diff.breakingChanges.isEmpty ?? true)
            || !(services?.reachChanged.isEmpty ?? true)
    }
}
