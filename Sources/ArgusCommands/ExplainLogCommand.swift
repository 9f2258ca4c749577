import ArgumentParser
import ArgusAnalysis
import Flask

/// `argus explain-log`: every argo AVC record of a Xen console log, explained.
public struct ExplainLogCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "explain-log",
        abstract: "Explain the argo AVC denials and grants of a Xen console log (exit 1 when it has denials).",
        discussion: """
            LOG is Xen console output (xl dmesg, a serial log); (XEN) prefixes and [timestamps] are \
            skipped. Each argo record gets its hook, domains (by domid in the system file), contexts, \
            the reason from the policy, and for denials the smallest allow rule, checked against the \
            [[never]] rules of --rules. Other classes are counted; malformed AVC lines are reported. \
            Exit 0: no denials and no malformed AVC lines; 1: otherwise; 2: bad input.
            """
    )
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json }

    @OptionGroup public var options: SystemOptions
    @Argument(help: ArgumentHelp("Xen console output to read.", valueName: "log")) public var log: String
    @Option(name: .customLong("rules"), help: ArgumentHelp("A rules file whose [[never]] entries suggestions must not break.", valueName: "file"))
    public var rulesFile: String?
    @Option(help: "Output format: text or json.") public var format: Format = .text

    public init() {}

    public func run(in context: CommandContext) throws {
        let system = try options.resolve(in: context)
        let never = try rulesFile.map { path throws(InputError) in try NeverRules.load(path, system: system) } ?? NeverRules(rules: [])
        let parsed = try AVCLogParser.load(log)
        let report = ExplainLogReport(log: parsed, explainer: AVCExplainer(system: system, neverRules: never))
        switch format {
        case .text: context.standardOutput.write(ExplainLogRenderer.text(report))
        case .json: context.standardOutput.write(try encodeJSON(report))
        }
        if report.hasFindings { throw ExitCode(ArgusExitStatus.negative) }
    }
}
