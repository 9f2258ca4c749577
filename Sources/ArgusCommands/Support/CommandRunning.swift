import ArgumentParser
import Flask
import Foundation

/// Somewhere a command writes text: the process's stdout/stderr, or a buffer in tests.
public protocol TextOutput: Sendable {
    func write(_ text: String)
}

/// Writes straight to a file descriptor (stdout or stderr), unbuffered.
public struct FileDescriptorOutput: TextOutput {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    public static let standardOutput = FileDescriptorOutput(descriptor: 1)
    public static let standardError = FileDescriptorOutput(descriptor: 2)

    public func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// Collects everything written to it; for running commands in tests.
public final class CapturedOutput: TextOutput, @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""

    public init() {}

    public func write(_ text: String) {
        lock.lock()
        buffer += text
        lock.unlock()
    }

    /// Everything written so far.
    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return buffer
    }
}

/// Where a running command sends its output and its diagnostics.
public struct CommandContext: Sendable {
    public var standardOutput: any TextOutput
    public var standardError: any TextOutput

    public init(standardOutput: any TextOutput, standardError: any TextOutput) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// The process's own stdout and stderr.
    public static let process = CommandContext(
        standardOutput: FileDescriptorOutput.standardOutput, standardError: FileDescriptorOutput.standardError)
}

/// Exit statuses shared by every `argus` command.
public enum ArgusExitStatus {
    public static let success: Int32 = 0
    /// The question was answered and the answer is "no" (for commands that check things).
    public static let negative: Int32 = 1
    /// Bad input or bad usage: one `file:line:col: error: …` line (or usage text) on stderr.
    public static let badInput: Int32 = 2
}

/// A command that writes through a `CommandContext` instead of straight to the process,
/// so tests can run it in-process: `try DefsCommand.parse([...]).run(in: context)`.
///
/// `run(in:)` reports bad input by throwing `InputError`; `run()` (what ArgumentParser
/// calls) prints it as one line on stderr and exits with status 2.
public protocol ContextualCommand: ParsableCommand {
    func run(in context: CommandContext) throws
}

extension ContextualCommand {
    public mutating func run() throws {
        try runReportingInputErrors(in: .process)
    }

    /// Runs the command; an `InputError` is written to `context.standardError` and turned
    /// into `ExitCode(2)`.
    ///
    /// What the command writes to standard error (notes such as the inferred Xen) is held until
    /// it ends: written out when it succeeds or reports findings, dropped when it fails on bad
    /// input, so that exit 2 prints exactly one line. A command about to run for long (with a
    /// progress bar) lets it through early with ``CommandContext/releaseHeldDiagnostics()``.
    public func runReportingInputErrors(in context: CommandContext) throws {
        let held = HeldOutput(context.standardError)
        var inner = context
        inner.standardError = held
        do {
            try run(in: inner)
            held.release()
        } catch let error as InputError {
            held.discard()
            context.standardError.write("\(error)\n")
            throw ExitCode(ArgusExitStatus.badInput)
        } catch {
            held.release()
            throw error
        }
    }
}

/// Parses and runs an `argus` command line with Argus's exit statuses: 0 for success,
/// 2 for bad input and for usage errors (ArgumentParser's own default for those is 64),
/// help and version text on stdout with status 0.
public enum CommandRunner {
    /// Runs `arguments` (without the program name) and returns the exit status.
    public static func run(_ arguments: [String], in context: CommandContext = .process) -> Int32 {
        do {
            var command = try parse(arguments)
            if let contextual = command as? any ContextualCommand {
                try contextual.runReportingInputErrors(in: context)
            } else {
                try command.run()
            }
            return ArgusExitStatus.success
        } catch {
            return report(error, in: context, arguments: arguments)
        }
    }

    /// `ArgusCommand.parseAsRoot(arguments)`, cheaper on a cold start: a command line that
    /// names one of the root's leaf commands (`audit`, `query`, ...) is first parsed by that
    /// command alone. The root takes no options of its own, so a command that parses there is
    /// the one the root would give; parsing through the root also makes ArgumentParser reflect
    /// over the whole command a second time (to see whether it passes arguments through),
    /// about a millisecond of a cold `argus audit`. Anything that does not parse there (help,
    /// version and completion requests, every usage error) is parsed again from the root, so
    /// its message and status are the root's; so is any command line with a `help` word.
    /// (A hand-written reading of the usual `audit` lines, skipping ArgumentParser, saved
    /// another 1.5 ms and was not kept: it duplicated the library's parsing, and an option
    /// added to `audit` but not to it would have trapped.)
    static func parse(_ arguments: [String]) throws -> any ParsableCommand {
        if let name = arguments.first, !arguments.contains("help"),
           let leaf = ArgusCommand.configuration.subcommands.first(where: { $0._commandName == name }),
           leaf.configuration.subcommands.isEmpty,
           let command = try? leaf.parseAsRoot(Array(arguments.dropFirst())) {
            return command
        }
        return try ArgusCommand.parseAsRoot(arguments)
    }

    /// Writes what ArgumentParser has to say about `error` and returns Argus's exit status:
    /// help and version text whole on stdout; an error as one line on stderr, naming the
    /// command and where its help is (`argus audit: error: … (see 'argus audit --help')`).
    public static func report(_ error: any Error, in context: CommandContext, arguments: [String] = []) -> Int32 {
        if let inputError = error as? InputError {
            context.standardError.write("\(inputError)\n")
            return ArgusExitStatus.badInput
        }
        let status = exitStatus(for: error)
        if status == ArgusExitStatus.success {
            let message = ArgusCommand.fullMessage(for: error)
            if !message.isEmpty { context.standardOutput.write(message.hasSuffix("\n") ? message : message + "\n") }
            return status
        }
        let words = ArgusCommand.message(for: error)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        if !words.isEmpty {
            let command = commandPath(arguments)
            var line = "\(command): error: " + words.joined(separator: " ")
            if status == ArgusExitStatus.badInput { line += " (see '\(command) --help')" }
            context.standardError.write(ErrorText.escaped(line) + "\n")
        }
        return status
    }

    /// `argus`, `argus policy info`: the subcommands named at the front of `arguments`.
    static func commandPath(_ arguments: [String]) -> String {
        var path = ["argus"]
        var command: any ParsableCommand.Type = ArgusCommand.self
        for argument in arguments {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == argument }) else { break }
            path.append(argument)
            command = next
        }
        return path.joined(separator: " ")
    }

    /// ArgumentParser's exit code for `error`, with usage errors mapped to 2.
    public static func exitStatus(for error: any Error) -> Int32 {
        if error is InputError { return ArgusExitStatus.badInput }
        let code = ArgusCommand.exitCode(for: error)
        if code == .validationFailure { return ArgusExitStatus.badInput }
        return code.rawValue
    }
}

extension ArgusCommand {
    /// The executable's entry point (`ArgusCommand.main()` in `Sources/argus/main.swift`):
    /// shadows ArgumentParser's `main()` so that every command gets Argus's exit statuses.
    public static func main() {
        Foundation.exit(CommandRunner.run(Array(CommandLine.arguments.dropFirst())))
    }
}

/// Standard error held back until the command's outcome is known (see
/// ``ContextualCommand/runReportingInputErrors(in:)``).
final class HeldOutput: TextOutput, @unchecked Sendable {
    let target: any TextOutput
    private let lock = NSLock()
    private var held: [String] = []
    private var passing = false

    init(_ target: any TextOutput) { self.target = target }

    func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if passing { target.write(text) } else { held.append(text) }
    }

    /// Writes what was held and lets everything through from now on.
    func release() {
        lock.lock()
        defer { lock.unlock() }
        passing = true
        for text in held { target.write(text) }
        held = []
    }

    func discard() {
        lock.lock()
        defer { lock.unlock() }
        held = []
    }
}

extension CommandContext {
    /// Lets held diagnostics through from now on (before a long run that reports progress).
    public func releaseHeldDiagnostics() { (standardError as? HeldOutput)?.release() }

    /// Whether standard error is the process's own (not a buffer in a test).
    public var standardErrorIsProcess: Bool {
        ((standardError as? HeldOutput)?.target ?? standardError) is FileDescriptorOutput
    }
}
