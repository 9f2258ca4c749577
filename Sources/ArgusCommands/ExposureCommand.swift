import ArgumentParser
import ArgusAnalysis
import XenProfile
import ArgusExposure
import Flask
import Foundation

/// `argus exposure`: what any valid label could reach, without a system file.
public struct ExposureCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "exposure",
        abstract: "For every ordered pair of domain types and every Argo flow: always, never or conditional, over every valid label.",
        discussion: """
            The universe is every context the policy accepts for a domain (users x their roles x the roles' \
            types, x ranges within the user's range under MLS), every relation two domains can be in \
            (unrelated, the same domain, device model and target) and every setting of the booleans that \
            decide Argo rules. Boot assumed: argo=1, FLASK enforcing, mac-permissive off and on. Every \
            possible answer comes with a small system file that `argus audit` confirms (exposure audits \
            each one itself). With --system: for each domain of that host, which labels a new domain \
            could carry and reach it or be reached by it, from the audit of the host plus the new \
            domains. See docs/EXPOSURE.md.
            """
    )
    public enum Format: String, CaseIterable, Sendable { case text, json, csv, html }

    @OptionGroup public var policy: PolicyOptions
    @Option(name: .customLong("bool"), help: ArgumentHelp(
        "Fix a policy boolean instead of enumerating it (repeatable).", valueName: "name=true|false"))
    public var booleans: [String] = []
    /// Checked by `run` so that a bad value is one `error:` line and exit 2, like other bad input.
    @Option(help: ArgumentHelp("Output format: text, json, csv or html (the heat map by type; not with --system).", valueName: "format")) public var format: String = "text"
    @Option(name: .customLong("system"), help: ArgumentHelp(
        "What-if: for each domain of this system file, which labels a new domain could carry and reach it, or be reached by it.",
        valueName: "file"))
    public var systemFile: String?
    @Option(name: .customLong("system-from-xl-list"), help: HostDomainSource.xlListHelp)
    public var xlList: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    public var output: String?
    @OptionGroup(title: "Which Xen") public var xen: XenOptions

    public init() {}

    public func validate() throws {
        try HostDomainSource.validate(systemFile: systemFile, xlList: xlList, required: false)
    }

    func booleanValues() throws(InputError) -> [String: Bool] {
        try SystemOptions.parseBooleans(booleans)
    }

    public func run(in context: CommandContext) throws {
        guard let format = Format(rawValue: format) else {
            throw InputError("unknown format '\(self.format)' (expected text, json, csv or html)")
        }
        if format == .html && (systemFile != nil || xlList != nil) {
            throw InputError("html is the exposure matrix: not with --system", option: "--format")
        }
        let fixed = try booleanValues()
        var inventory = try HostDomainSource.load(systemFile: systemFile, xlList: xlList, xlInfo: xen.xlInfo)
        let selected = try xen.select(policyPath: policy.policy, flaskDirectory: policy.flaskDirectory, table: inventory?.xen ?? XenTable(),
                                      systemFile: HostDomainSource.path(systemFile: systemFile, xlList: xlList), in: context)
        inventory?.select(selected.profile, hostCommandLine: selected.hostCommandLine, basis: selected.basis)
        let loaded = try policy.load(definitions: selected.definitions)
        try xen.admit(loaded, on: selected, flaskDirectory: policy.flaskDirectory, in: context)
        var text: String
        if let inventory {
            let report = try Exposure.whatIf(policy: loaded, inventory: inventory, booleans: fixed)
            text = switch format {
            case .text: WhatIfRenderer.text(report)
            case .json: WhatIfRenderer.json(report)
            case .csv, .html: WhatIfRenderer.csv(report)
            }
        } else {
            let report = try Exposure.analyse(policy: loaded, booleans: fixed)
            text = switch format {
            case .text: ExposureRenderer.text(report)
            case .json: ExposureRenderer.json(report)
            case .csv: ExposureRenderer.csv(report)
            case .html: ExposureHTMLRenderer.render(report, xenLine: XenProfileJSON.textLine(selected.profile, basis: selected.basis))
            }
        }
        // Every answer names the Xen it is for: a header line (text), a `xen` object (JSON).
        switch format {
        case .text: text = XenProfileJSON.textLine(selected.profile, basis: selected.basis) + "\n" + text
        case .json where text.hasPrefix("{\n"):
            text = "{\n  \"xen\" : " + XenProfileJSON.object(selected.profile, basis: selected.basis) + ",\n" + text.dropFirst(2)
        default: break
        }
        if let output {
            try writeAtomically(Array(text.utf8), to: output)
        } else {
            context.standardOutput.write(text)
        }
    }
}
