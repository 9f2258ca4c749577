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
        // Streamed: a log of any size is read from disk in passes, and the output written as it comes.
        let explainer = AVCExplainer(system: system, neverRules: never)
        let sink = BufferedSink { context.standardOutput.write($0) }
        let findings = try ExplainLogStreamer.run(log: log, explainer: explainer, format: format == .json ? .json : .text) { sink($0) }
        sink.flush()
        if findings { throw ExitCode(ArgusExitStatus.negative) }
    }
}
