import ArgumentParser
import ArgusAnalysis
import ArgusProcesses
import Flask

/// `argus lint`: Argo findings that only make sense with Xen's hooks in mind.
public struct LintCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Find Argo grants Xen never checks, grants that can never be used, and hidden denials (exit 1 on findings).",
        discussion: """
            Checks (stable ids, see docs/LINT.md): \
            \(LintChecks.all.map { "\($0.id) \($0.name)" }.joined(separator: ", ")); with --system (or --system-from-xl-list) also \
            \(FirewallLintChecks.all.map { "\($0.id) \($0.name)" }.joined(separator: ", ")), \
            \(ProcessLintChecks.checks.map { "\($0.id) \($0.name)" }.joined(separator: ", ")). \
            With --system, domain types come from the system file's labels and its boot settings \
            are taken into account; otherwise domain types are inferred from the policy.
            """
    )
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json }

    @OptionGroup public var policy: PolicyOptions
    @Option(name: .customLong("system"), help: ArgumentHelp("A system file (TOML): boot settings and domain labels.", valueName: "file"))
    public var systemFile: String?
    @Option(name: .customLong("system-from-xl-list"), help: HostDomainSource.xlListHelp)
    public var xlList: String?
    @Option(help: "Output format: text or json.") public var format: Format = .text
    @OptionGroup(title: "Which Xen") public var xen: XenOptions

    public init() {}

    public func validate() throws {
        try HostDomainSource.validate(systemFile: systemFile, xlList: xlList, required: false)
    }

    public func run(in context: CommandContext) throws {
        var inventory = try HostDomainSource.load(systemFile: systemFile, xlList: xlList, xlInfo: xen.xlInfo)
        let systemPath = HostDomainSource.path(systemFile: systemFile, xlList: xlList)
        let selected = try xen.select(policyPath: policy.policy, flaskDirectory: policy.flaskDirectory,
                                      table: inventory?.xen ?? XenTable(), systemFile: systemPath, in: context)
        inventory?.select(selected.profile, hostCommandLine: selected.hostCommandLine, basis: selected.basis)
        let loaded = try policy.load(definitions: selected.definitions)
        try xen.admit(loaded, on: selected, flaskDirectory: policy.flaskDirectory, in: context)
        var input = LintInput(policy: loaded)
        if let inventory {
            for d in inventory.domains {
                do { _ = try loaded.context(d.label) } catch {
                    throw InputError("domain '\(d.name)': \(error.description)", at: d.location ?? SourceLocation(file: systemPath))
                }
            }
            input.boot = inventory.boot
            input.domainLabels = inventory.domains.map(\.label)
        }
        var report = try ArgoLint.run(input)
        if let inventory {
            // With a system: its services and OpenXT firewall too (FW checks).
            let system = try ResolvedSystem(inventory: inventory, policy: loaded)
            let services = ServiceAudit(ArgoAudit(system))
            report.findings += LintFinding.grouped(FirewallLintChecks.run(services))
            // And, for domains whose SELinux policy it gives, their processes (PR checks).
            if inventory.domains.contains(where: { $0.selinuxPolicy != nil }) {
                report.findings += ProcessLintChecks.run(try ProcessAudit(services))
            }
        }
        switch format {
        case .text: context.standardOutput.write(LintRenderer.text(report))
        case .json: context.standardOutput.write(try encodeJSON(report))
        }
        if !report.findings.isEmpty { throw ExitCode(ArgusExitStatus.negative) }
    }
}
