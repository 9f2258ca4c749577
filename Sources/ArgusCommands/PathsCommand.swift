import ArgumentParser
import ArgusAnalysis
import ArgusExposure
import ArgusPaths
import Flask
import Foundation
import XenProfile

/// `argus paths`: chains of channels along which a message can be relayed (docs/PATHS.md).
public struct PathsCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "paths",
        abstract: "Chains of Argo channels from one domain to another (exit 0 when a path exists, 1 when none).",
        discussion: """
            With --system: paths from domain --from to domain --to, each hop a channel of the audit, shortest \
            first, every hop explained with its deciding rules; --all lists every simple path of at most \
            --max-hops hops (default \(InventoryPaths.defaultMaxHopsForAll) with --all; the shortest paths have no \
            limit unless given). Without --system: over every valid label (the exposure universe), the shortest \
            chain of domains that could exist from a label matching --from to one matching --to (type:NAME, \
            attr:NAME, role:NAME, user:NAME or *; --from-type/--to-type for type:), one boolean setting for the \
            whole chain, with a counterexample system file that `argus audit` confirms. See docs/PATHS.md.
            """
    )

    @OptionGroup public var policy: PolicyOptions
    @OptionGroup(title: "Which Xen") public var xen: XenOptions
    @Option(name: .customLong("system"), help: ArgumentHelp(
        "The system file (TOML). Without it: paths over every valid label.", valueName: "file"))
    public var systemFile: String?
    @Option(name: .customLong("bool"), help: ArgumentHelp(
        "Set a policy boolean (repeatable); without --system it is fixed instead of enumerated.", valueName: "name=true|false"))
    public var booleans: [String] = []
    @Option(help: ArgumentHelp("Where paths start: a domain name with --system, else a selector.", valueName: "domain|selector"))
    public var from: String?
    @Option(help: ArgumentHelp("Where paths end: a domain name with --system, else a selector.", valueName: "domain|selector"))
    public var to: String?
    @Option(name: .customLong("from-type"), help: ArgumentHelp("Without --system: start at a domain of this type.", valueName: "type"))
    public var fromType: String?
    @Option(name: .customLong("to-type"), help: ArgumentHelp("Without --system: end at a domain of this type.", valueName: "type"))
    public var toType: String?
    @Option(name: .customLong("max-hops"), help: ArgumentHelp(
        "The most hops a path may take (1 to \(CheckRulesFile.maxHopsLimit)).", valueName: "n"))
    public var maxHops: Int?
    @Flag(help: "With --system: every simple path (within --max-hops), not only the shortest.")
    public var all = false
    @Option(help: ArgumentHelp("The most paths listed (default \(InventoryPaths.defaultLimit)).", valueName: "n"))
    public var limit: Int?
    @Option(help: ArgumentHelp("Output format: text or json.", valueName: "format")) public var format: String = "text"
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    public var output: String?

    public init() {}

    public func run(in context: CommandContext) throws {
        guard format == "text" || format == "json" else { throw InputError("unknown format '\(format)' (expected text or json)", option: "--format") }
        if let maxHops, !(1...CheckRulesFile.maxHopsLimit).contains(maxHops) {
            throw InputError("takes 1 to \(CheckRulesFile.maxHopsLimit), not \(maxHops)", option: "--max-hops")
        }
        if let limit, limit < 1 { throw InputError("takes a positive number, not \(limit)", option: "--limit") }
        var text: String
        let found: Bool
        if let systemFile {
            if fromType != nil || toType != nil {
                throw InputError("with --system name domains with --from and --to", option: fromType != nil ? "--from-type" : "--to-type")
            }
            guard let from else { throw InputError("needs --from DOMAIN", option: "--system") }
            guard let to else { throw InputError("needs --to DOMAIN", option: "--system") }
            let options = SystemOptions(policy: policy, xen: xen, systemFile: systemFile, booleans: booleans)
            let system = try options.resolve(in: context)
            guard let i = system.index(ofDomain: from) else { throw InputError("unknown domain '\(from)'", file: systemFile) }
            guard let j = system.index(ofDomain: to) else { throw InputError("unknown domain '\(to)'", file: systemFile) }
            let report = InventoryPaths(system: system, from: i, to: j, maxHops: maxHops, all: all,
                                        limit: limit ?? InventoryPaths.defaultLimit)
            found = report.found
            let xenText = XenProfileJSON.textLine(system.profile, basis: system.inventory.profileBasis)
            text = format == "json" ? try PathsFormatter.json(report, xen: XenProfileJSON.object(system.profile, basis: system.inventory.profileBasis))
                : xenText + "\n" + PathsFormatter.text(report)
        } else {
            if all { throw InputError("needs --system: over every valid label only the shortest chain is given", option: "--all") }
            let fromSelector = try selector(from, type: fromType, option: "--from")
            let toSelector = try selector(to, type: toType, option: "--to")
            let fixed = try SystemOptions.parseBooleans(booleans)
            let selected = try xen.select(policyPath: policy.policy, flaskDirectory: policy.flaskDirectory,
                                          table: XenTable(), systemFile: "", in: context)
            let loaded = try policy.load(definitions: selected.definitions)
            try xen.admit(loaded, on: selected, flaskDirectory: policy.flaskDirectory, in: context)
            let table = try ExposureFlowTable(policy: loaded, booleans: fixed)
            for (sel, option) in [(fromSelector, "--from"), (toSelector, "--to")] {
                do { _ = try UniverseSelection.contexts(matching: sel, at: SourceLocation(file: option), in: table.universe, strict: true) } catch {
                    throw InputError(error.message, option: option)
                }
            }
            let report = try TypePaths(table: table, from: fromSelector, to: toSelector, maxHops: maxHops)
            found = report.found
            text = format == "json" ? try PathsFormatter.json(report, xen: XenProfileJSON.object(selected.profile, basis: selected.basis))
                : XenProfileJSON.textLine(selected.profile, basis: selected.basis) + "\n" + PathsFormatter.text(report)
        }
        if let output {
            try writeAtomically(Array(text.utf8), to: output)
        } else {
            context.standardOutput.write(text)
        }
        if !found { throw ExitCode(ArgusExitStatus.negative) }
    }

    /// `--from`/`--from-type` (one of them) as a universe selector.
    func selector(_ text: String?, type: String?, option: String) throws(InputError) -> DomainSelector {
        switch (text, type) {
        case (nil, nil): throw InputError("needs \(option) SELECTOR or \(option)-type TYPE (or --system with domain names)", option: option)
        case (_?, _?): throw InputError("give \(option) or \(option)-type, not both", option: option)
        case (nil, let type?):
            guard !type.isEmpty else { throw InputError("needs a type name", option: option + "-type") }
            return .type(type)
        case (let text?, nil):
            guard let s = DomainSelector(parsing: text) else {
                throw InputError("bad selector '\(text)' (expected type:NAME, attr:NAME, role:NAME, user:NAME or *)", option: option)
            }
            return s
        }
    }
}
