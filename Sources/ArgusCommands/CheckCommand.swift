import ArgumentParser
import ArgusAnalysis
import ArgusProcesses
import ArgusExposure
import ArgusPaths
import Flask
import Foundation
import XenProfile

/// `argus check`: the CI gate. A rules file says which Argo flows must never or must always
/// exist; exit 1 when the policy breaks one. With a system file, over its domains; without one,
/// over every valid label (the exposure universe), each finding with a counterexample.
public struct CheckCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a policy against Argo rules (exit 0 pass, 1 violations, 2 bad input).",
        discussion: """
            The rules file (TOML, docs/CHECK-RULES.md) has [[never]], [[must]] and [[exempt]] tables with \
            from, to (pair flows only), flow, reason and, for exemptions, until (the last valid day); \
            flow = "path" (with optional max_hops) is a chain of channels. Selectors: a domain name, \
            type:NAME, attr:NAME, role:NAME, user:NAME or *. Without --system the rules are checked over \
            every valid label, relation and boolean setting (the exposure universe): domain names are \
            errors there, and every finding carries a counterexample system file. With --baseline, \
            violations the old policy already had are reported but do not fail. Formats: text, json, \
            sarif (2.1.0, for GitHub code scanning), junit, markdown, codeclimate (GitLab's code-quality \
            report); docs/CI.md.
            """
    )
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json, sarif, junit, markdown, codeclimate }

    @OptionGroup public var policy: PolicyOptions
    @OptionGroup(title: "Which Xen") public var xen: XenOptions
    @Option(name: .customLong("system"), help: ArgumentHelp(
        "The system file (TOML): boot settings and domains. Without it: every valid label (docs/CHECK-RULES.md).", valueName: "file"))
    public var systemFile: String?
    @Option(name: .customLong("bool"), help: ArgumentHelp(
        "Set a policy boolean, as flask-set-bool would (repeatable); without --system it is fixed instead of enumerated.",
        valueName: "name=true|false"))
    public var booleans: [String] = []
    @Option(name: .customLong("rules"), help: ArgumentHelp("The rules file (TOML).", valueName: "file"))
    public var rulesFile: String
    @Option(name: .customLong("baseline"), help: ArgumentHelp(
        "An older policy: only violations it did not already have fail the check.", valueName: "policy"))
    public var baselinePolicy: String?
    @Option(name: .customLong("today"), help: ArgumentHelp(
        "The date exemptions are checked against (default: today).", valueName: "YYYY-MM-DD"))
    public var today: String?
    @Option(help: "Output format: text, json, sarif, junit, markdown or codeclimate.") public var format: Format = .text
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    public var output: String?

    public init() {}

    /// The options of a command over a system file, for `path`.
    func systemOptions(_ path: String) -> SystemOptions {
        SystemOptions(policy: policy, xen: xen, systemFile: path, booleans: booleans)
    }

    public func run(in context: CommandContext) throws {
        let date: CalendarDate
        if let today {
            guard let parsed = CalendarDate(parsing: today) else { throw InputError("takes a date YYYY-MM-DD, not '\(today)'", option: "--today") }
            date = parsed
        } else {
            date = CalendarDate.today()
        }
        let rules = try CheckRulesFile.load(rulesFile)
        let run: CheckRun
        if let systemFile {
            run = try inventoryRun(rules, date: date, options: systemOptions(systemFile), in: context)
        } else {
            run = try universeRun(rules, date: date, in: context)
        }
        let text: String = switch format {
        case .text: CheckFormatter.text(run)
        case .json: try CheckFormatter.json(run)
        case .sarif: try CheckSARIF.render(run)
        case .junit: CheckJUnit.render(run)
        case .markdown: CheckFormatter.markdown(run)
        case .codeclimate: try CheckCodeClimate.render(run, relativeTo: FileManager.default.currentDirectoryPath)
        }
        if let output {
            try writeAtomically(Array(text.utf8), to: output)
        } else {
            context.standardOutput.write(text)
        }
        if !run.report.passed { throw ExitCode(ArgusExitStatus.negative) }
    }

    func inventoryRun(_ rules: CheckRulesFile, date: CalendarDate, options: SystemOptions, in context: CommandContext) throws -> CheckRun {
        let system = try options.resolve(in: context)
        var baseline: ResolvedSystem?
        if let baselinePolicy {
            guard let definitions = FlaskDefinitions.xen(release: system.profile.version.definitionsRelease) else {
                throw InputError("Argus has no FLASK definitions for \(system.profile)")
            }
            var loader = PolicyLoader(flaskDirectory: policy.flaskDirectory, mls: policy.mls, definitions: definitions)
            loader.toolLimits = try policy.compileLimits.limits()
            baseline = try DiffCommand.resolve(baselinePolicy, side: "baseline", loader: loader,
                                               inventory: system.inventory, booleans: options.booleanValues())
        }
        // Processes only matter to service rules: a domain's SELinux policy is read only then.
        let needsProcesses = rules.rules.contains { $0.flow == .service }
            && system.domains.contains { $0.selinuxPolicy != nil }
        let processes = try needsProcesses ? ProcessAudit(ServiceAudit(ArgoAudit(system))) : nil
        let baselineProcesses = try needsProcesses ? baseline.map { b throws(InputError) in try ProcessAudit(ServiceAudit(ArgoAudit(b))) } : nil
        let report = try PolicyCheck(rules: rules, today: date).run(system, baseline: baseline, processes: processes,
                                                                    baselineProcesses: baselineProcesses)
        return CheckRun(policy: policy.policy, systemFile: options.systemFile, baselinePolicy: baselinePolicy, report: report,
                        xen: system.profile, xenBasis: system.inventory.profileBasis)
    }

    /// Without a system file: the rules over the exposure universe (boot assumed as exposure does).
    func universeRun(_ rules: CheckRulesFile, date: CalendarDate, in context: CommandContext) throws -> CheckRun {
        let fixed = try SystemOptions.parseBooleans(booleans)
        let selected = try xen.select(policyPath: policy.policy, flaskDirectory: policy.flaskDirectory,
                                      table: XenTable(), systemFile: "", in: context)
        let loaded = try policy.load(definitions: selected.definitions)
        try xen.admit(loaded, on: selected, flaskDirectory: policy.flaskDirectory, in: context)
        let table = try ExposureFlowTable(policy: loaded, booleans: fixed)
        var baseline: ExposureFlowTable?
        if let baselinePolicy {
            var loader = PolicyLoader(flaskDirectory: policy.flaskDirectory, mls: policy.mls, definitions: selected.definitions)
            loader.toolLimits = try policy.compileLimits.limits()
            do {
                let old = try loader.load(baselinePolicy)
                // Booleans the old policy lacks are left to it (nothing to fix there).
                baseline = try ExposureFlowTable(policy: old, booleans: fixed.filter { old.booleanValue($0.key) != nil })
            } catch {
                throw InputError("baseline policy \(baselinePolicy): \(error.message)", at: error.location)
            }
        }
        let report = try UniverseCheck(rules: rules, today: date).run(table, baseline: baseline)
        let universe = CheckUniverse(
            contexts: table.contextCount, types: table.universe.domainTypes.count, exact: table.isExact && (baseline?.isExact ?? true),
            mls: table.universe.levelMode.rawValue, booleans: table.booleans.mode.rawValue,
            settings: table.booleans.settings.count, fixedBooleans: fixed)
        return CheckRun(policy: policy.policy, systemFile: nil, baselinePolicy: baselinePolicy, report: report,
                        xen: selected.profile, xenBasis: selected.basis, universe: universe)
    }
}

/// What an inventory-free check ran over (the exposure universe).
public struct CheckUniverse: Sendable, Equatable {
    public var contexts: Int
    public var types: Int
    /// False when MLS levels or booleans were sampled, not enumerated: a pass is then not a proof.
    public var exact: Bool
    public var mls: String
    public var booleans: String
    public var settings: Int
    public var fixedBooleans: [String: Bool]

    /// "every valid label (41 contexts of 9 types, 2 boolean settings; exact)".
    public var description: String {
        var text = "every valid label (\(contexts) contexts of \(types) types, \(settings) boolean setting\(settings == 1 ? "" : "s")"
        if !fixedBooleans.isEmpty { text += ", fixed " + fixedBooleans.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        return text + (exact ? "; exact)" : "; APPROXIMATE: MLS \(mls), booleans \(booleans))")
    }
}

/// A check report with the inputs it was made from, for the formatters.
public struct CheckRun: Sendable, Equatable {
    public var policy: String
    /// nil without a system file (see `universe`).
    public var systemFile: String?
    public var baselinePolicy: String?
    public var report: CheckReport
    /// The Xen the check was made for, and how it was chosen.
    public var xen: XenProfile = .head
    public var xenBasis: String = "stated"
    /// Without a system file: the universe the rules were checked over.
    public var universe: CheckUniverse?

    /// What the rules were checked over, in words.
    public var subject: String { systemFile ?? universe?.description ?? "every valid label" }
}
