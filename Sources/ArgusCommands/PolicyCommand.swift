import ArgumentParser
import ArgusAnalysis
import Flask
import Foundation

/// Options shared by every command that takes a POLICY argument.
public struct PolicyOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "A binary Xen policy, a policy.conf, or a Xen-layout policy source tree.", valueName: "policy"))
    public var policy: String

    @Option(name: .customLong("flask-dir"), help: ArgumentHelp(
        "Hypervisor definitions (security_classes, access_vectors, initial_sids); default: a flask/ directory in or beside a source tree (or Xen's own layout), else the selected Xen's, built in.",
        valueName: "dir"))
    public var flaskDirectory: String?

    @Flag(help: "Build a policy source tree with MLS (Xen's CONFIG_MLS).")
    public var mls = false

    @OptionGroup public var compileLimits: CompileLimitOptions

    public init() {}

    public func load() throws(InputError) -> Policy {
        var loader = try PolicyLoader(flaskDirectory: flaskDirectory, mls: mls)
        loader.toolLimits = try compileLimits.limits()
        return try loader.load(policy)
    }

    /// Loads POLICY for a selected Xen: its definitions where the tree has none of its own,
    /// and the compile limits.
    public func load(definitions: FlaskDefinitions) throws(InputError) -> Policy {
        var loader = PolicyLoader(flaskDirectory: flaskDirectory, mls: mls, definitions: definitions)
        loader.toolLimits = try compileLimits.limits()
        return try loader.load(policy)
    }

    public func definitions() throws(InputError) -> FlaskDefinitions {
        try flaskDirectory.map { dir throws(InputError) in try FlaskDefinitions.load(directory: dir) } ?? .xenDefault
    }
}

/// Limits for m4 and checkpolicy when POLICY is source (docs/POLICY-SOURCES.md).
public struct CompileLimitOptions: ParsableArguments {
    @Option(name: .customLong("compile-timeout"), help: ArgumentHelp(
        "Seconds m4 and checkpolicy may each run on policy sources (default \(Int(ToolLimits.defaultSeconds))).",
        valueName: "seconds"))
    public var seconds: Double?

    @Option(name: .customLong("compile-memory"), help: ArgumentHelp(
        "MiB of address space for m4 and checkpolicy; m4's output may be a quarter of it (default \(ToolLimits.defaultMemoryMiB)).",
        valueName: "MiB"))
    public var memoryMiB: Int?

    public init() {}

    public func limits() throws(InputError) -> ToolLimits {
        let s = seconds ?? ToolLimits.defaultSeconds
        guard s > 0, s <= 86_400 else { throw InputError("--compile-timeout takes seconds between 0 and 86400, not \(s)") }
        let m = memoryMiB ?? ToolLimits.defaultMemoryMiB
        guard m >= 16, m <= 1 << 20 else { throw InputError("--compile-memory takes MiB between 16 and 1048576, not \(m)") }
        return ToolLimits(seconds: s, memoryMiB: m)
    }
}

/// `argus policy`: load, summarise, validate and compile policies.
public struct PolicyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Load, summarise, validate or compile a Xen FLASK policy.",
        subcommands: [Info.self, Validate.self, Compile.self]
    )
    public init() {}

    /// `argus policy info`: seinfo-style statistics and the argo class.
    public struct Info: ContextualCommand {
        public static let configuration = CommandConfiguration(
            commandName: "info",
            abstract: "Print a policy's statistics (as seinfo counts them) and its argo class.")
        public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json }

        @OptionGroup public var options: PolicyOptions
        @Option(help: "Output format: text or json.") public var format: Format = .text

        public init() {}

        public func run(in context: CommandContext) throws {
            let policy = try options.load()
            let summary = PolicySummary(policy)
            switch format {
            case .text: context.standardOutput.write(PolicyInfoFormatter.text(policy, summary: summary))
            case .json: context.standardOutput.write(try PolicyInfoFormatter.json(policy, summary: summary))
            }
        }
    }

    /// `argus policy validate`: would a hypervisor with these definitions load the policy?
    public struct Validate: ContextualCommand {
        public static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check a policy against the hypervisor's FLASK definitions, as Xen does at load.",
            discussion: "Prints one line per problem; exits 1 when Xen would refuse the policy.")

        @OptionGroup public var options: PolicyOptions
        @Option(name: .customLong("xen"), help: ArgumentHelp(
            "Check against the definitions of this Xen (a release from 4.12.0 on, or head) instead of --flask-dir.",
            valueName: "version"))
        public var xen: String?

        public init() {}

        public func run(in context: CommandContext) throws {
            var definitions = try options.definitions()
            let policy: Policy
            if let xen {
                guard options.flaskDirectory == nil else { throw InputError("--xen and --flask-dir name the definitions twice: give one") }
                let (version, _) = try XenSelection.parseSpelling(xen)
                guard let found = FlaskDefinitions.xen(release: version.definitionsRelease) else {
                    throw InputError("Argus has no FLASK definitions for Xen \(version)")
                }
                definitions = found
                policy = try options.load(definitions: found)
            } else {
                policy = try options.load()
            }
            let result = PolicyValidation(policy: policy, definitions: definitions)
            for problem in result.problems { context.standardOutput.write("\(options.policy): \(problem)\n") }
            if result.accepted {
                context.standardOutput.write("\(options.policy): accepted by a hypervisor with these definitions\n")
            } else {
                throw ExitCode(ArgusExitStatus.negative)
            }
        }
    }

    /// `argus policy compile`: a source tree or policy.conf to a binary Xen policy.
    public struct Compile: ContextualCommand {
        public static let configuration = CommandConfiguration(
            commandName: "compile",
            abstract: "Compile a policy source tree or policy.conf (m4 + checkpolicy -t Xen) to a binary policy.")

        @OptionGroup public var options: PolicyOptions
        @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the binary policy.", valueName: "file"))
        public var output: String

        public init() {}

        public func run(in context: CommandContext) throws {
            let policy = try options.load()
            try writeAtomically(policy.binary, to: output)
            context.standardOutput.write("\(output): policy version \(policy.image.version), \(policy.binary.count) bytes\n")
        }
    }
}

/// Renders `argus policy info`.
enum PolicyInfoFormatter {
    static func text(_ policy: Policy, summary: PolicySummary) -> String {
        var out = "Statistics for policy: \(policy.origin.path)\n"
        out += "Policy Version:             \(summary.policyVersion) (MLS \(summary.mls ? "enabled" : "disabled"))\n"
        out += "Target Policy:              \(summary.target)\n"
        out += "Handle unknown classes:     \(summary.handleUnknown)\n"
        let rows = summary.rows
        for k in stride(from: 0, to: rows.count, by: 2) {
            let left = rows[k], right = rows[k + 1]
            let l = "\(left.0):".padding(toLength: 16, withPad: " ", startingAt: 0)
            let r = "\(right.0):".padding(toLength: 16, withPad: " ", startingAt: 0)
            out += "  \(l)\(String(left.1).leftPadded(6))    \(r)\(String(right.1).leftPadded(6))\n"
        }
        if let argo = policy.classValue("argo") {
            let cls = policy.securityClass(argo)
            out += "\nclass argo (\(argo)):\n"
            for (bit, name) in cls.permissions.enumerated() {
                guard let name else { continue }
                out += "  \(name.padding(toLength: 24, withPad: " ", startingAt: 0))0x\(String(1 << bit, radix: 16))\n"
            }
        } else {
            out += "\nclass argo: not in this policy\n"
        }
        return out
    }

    struct JSONShape: Encodable {
        var policy: String
        var summary: PolicySummary
        var argo: [String: UInt32]?
    }

    static func json(_ policy: Policy, summary: PolicySummary) throws -> String {
        var argo: [String: UInt32]?
        if let c = policy.classValue("argo") {
            argo = Dictionary(uniqueKeysWithValues: policy.securityClass(c).permissions.enumerated().compactMap { bit, name in
                name.map { ($0, UInt32(1) << UInt32(bit)) }
            })
        }
        return try encodeJSON(JSONShape(policy: policy.origin.path, summary: summary, argo: argo))
    }
}

/// Pretty, key-sorted JSON with a final newline: stable for golden files and diffs.
func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
