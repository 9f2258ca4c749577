import ArgumentParser

/// The `argus` command tree. The executable target only calls `ArgusCommand.main()`;
/// everything lives here so tests can parse and run commands in-process.
public struct ArgusCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "argus",
        abstract: "Which Xen domains may talk to which over Argo, under a FLASK policy.",
        version: ArgusVersion.text,
        subcommands: [
            DefsCommand.self, PolicyCommand.self, AuditCommand.self, QueryCommand.self, SimulateCommand.self,
            DiffCommand.self, CheckCommand.self, LintCommand.self, ExplainLogCommand.self, ExposureCommand.self, PathsCommand.self,
            GuestPolicyCommand.self,
        ]
    )
    public init() {}
}
