import ArgumentParser
@testable import ArgusCommands
import Testing

/// `AuditCommand(commonCommandLine:)`, the cold-start reading of the usual `argus audit`
/// command lines: the same command as ArgumentParser's, or nil for ArgumentParser to parse.
@Suite struct AuditCommandLineTests {
    /// Every option of the audit command, as one line (an option added to the command and not
    /// to this list still fails the golden tests: reading an unset option traps).
    static func fields(_ c: AuditCommand) -> String {
        let p = c.options.policy, x = c.options.xen
        return [p.policy, p.flaskDirectory ?? "-", "\(p.mls)", p.compileLimits.seconds.map { "\($0)" } ?? "-",
                p.compileLimits.memoryMiB.map { "\($0)" } ?? "-", x.xen ?? "-", x.arch ?? "-", x.xlInfo ?? "-", "\(x.force)",
                c.options.systemFileOption ?? "-", c.options.xlList ?? "-", c.options.booleans.joined(separator: ","),
                c.format.rawValue, "\(c.explain)", "\(c.verbose)", "\(c.services)", c.sourcePort.map { "\($0)" } ?? "-",
                "\(c.processes)", c.output ?? "-"].joined(separator: "|")
    }

    @Test(arguments: [
        ["p.policy", "--system", "s.toml"],
        ["p.policy", "--system", "s.toml", "--format", "json"],
        ["--system", "s.toml", "--format", "html", "p"],
        ["--format", "csv", "--system", "s.toml", "--xen", "4.16.0", "p", "--output", "out.csv"],
        ["p", "--system", "s.toml", "--explain", "--verbose", "--services", "--force", "--format", "dot"],
        ["policy/example", "--system", "examples/system.toml", "--xen", "head+openxt", "--format", "text"],
    ])
    func commonLinesGiveArgumentParsersCommand(_ arguments: [String]) throws {
        let quick = try #require(AuditCommand(commonCommandLine: arguments[...]))
        let parsed = try #require(try ArgusCommand.parseAsRoot(["audit"] + arguments) as? AuditCommand)
        #expect(Self.fields(quick) == Self.fields(parsed))
    }

    @Test(arguments: [
        [], ["p"], ["--system", "s.toml"], ["p", "q", "--system", "s.toml"], ["p", "--system=s.toml"],
        ["p", "--system", "s.toml", "--system", "t.toml"], ["p", "--system", "s.toml", "--format", "yaml"],
        ["p", "--system", "-s.toml"], ["p", "--system"], ["p", "--system", "s.toml", "-o", "out"],
        ["p", "--system", "s.toml", "--bool", "b=true"], ["p", "--system", "s.toml", "--help"], ["p", "--system", "s.toml", "-h"],
        ["help"], ["p", "--system", "help"], ["p", "--system", "s.toml", "--explain", "--explain"],
        ["p", "--system", "s.toml", "--processes"], ["p", "--system", "s.toml", "--"], ["p", "--system", ""],
        ["p", "--system-from-xl-list", "list.txt", "--xl-info", "info.txt"], ["p", "--system", "s.toml", "--version"],
    ])
    func otherLinesAreLeftToArgumentParser(_ arguments: [String]) {
        #expect(AuditCommand(commonCommandLine: arguments[...]) == nil)
    }
}
