import CommandTestSupport
import Foundation
import Testing
import ArgusCommands
import Flask
import TestSupport

/// The example policy compiled once to a binary file, so hostile-input runs load in microseconds.
enum HostileFixtures {
    static let binaryPolicyPath: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-hostile-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("example.policy").path
        let policy = try! Fixtures.examplePolicy()
        _ = FileManager.default.createFile(atPath: path, contents: Data(policy.binary))
        return path
    }()

    static func write(_ text: String, to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    /// Every file under `directory`, relative, sorted.
    static func files(under directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []).sorted()
    }
}

/// Issue 13, one test per promise: one line with a place, nothing written outside its place,
/// no output of a failed run left behind, CRLF read like LF.
@Suite struct HostileInputTests {
    let policy = HostileFixtures.binaryPolicyPath
    let system = Fixtures.exampleSystemPath

    @Test func domainNamedLikeAPathIsRefusedAtItsLineAndNothingEscapes() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let scenario = dir.appendingPathComponent("s.yaml").path
            HostileFixtures.write("""
                steps:
                  - {op: register, domain: dom0, aport: 1, partner: netvm, len: 4032}
                  - {op: create, name: ../ESCAPE, domid: 20, label: "system_u:system_r:netvm_t"}
                """, to: scenario)
            let rings = dir.appendingPathComponent("out/rings").path
            let r = runArgus(["simulate", policy, "--system", system, "--scenario", scenario, "--dump-rings", rings])
            #expect(r.status == 2)
            #expect(r.err.hasPrefix("\(scenario):3:"), "\(r.err)")
            #expect(r.err.split(separator: "\n").count == 1)
            #expect(HostileFixtures.files(under: dir.path) == ["s.yaml"], "the failed run left files")
        }
        for bad in ["../x", "a/b", ".hidden", "-x", "any", "0x10", "12", "", "a\nb", "é", String(repeating: "a", count: 65)] {
            #expect(DomainName.problem(with: bad) != nil, "'\(bad)' accepted")
        }
        for good in ["dom0", "stub-a1", "a.b_c", String(repeating: "a", count: 64)] {
            #expect(DomainName.problem(with: good) == nil, "'\(good)' refused")
        }
    }

    @Test func failingRingDumpLeavesNoTraceFile() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let scenario = Fixtures.root.appendingPathComponent("examples/scenarios/with-policy/example-system.yaml").path
            let trace = dir.appendingPathComponent("trace.jsonl").path
            let notADirectory = dir.appendingPathComponent("file").path
            HostileFixtures.write("x", to: notADirectory)
            let r = runArgus(["simulate", policy, "--system", system, "--scenario", scenario, "--trace", trace, "--dump-rings", notADirectory])
            #expect(r.status == 2)
            #expect(r.err.hasPrefix("\(notADirectory): error:"), "\(r.err)")
            #expect(HostileFixtures.files(under: dir.path) == ["file"])
            // A ring dump that fails part-way (a directory where one ring file goes) leaves no ring file.
            let rings = dir.appendingPathComponent("rings").path
            try FileManager.default.createDirectory(atPath: rings + "/dom0-1-any.ring", withIntermediateDirectories: true)
            let r2 = runArgus(["simulate", policy, "--system", system, "--scenario", scenario, "--trace", trace, "--dump-rings", rings])
            #expect(r2.status == 2, "\(r2.err)")
            #expect(HostileFixtures.files(under: rings) == ["dom0-1-any.ring"])
            #expect(!FileManager.default.fileExists(atPath: trace))
            // And the same run into a fresh directory writes both.
            let good = dir.appendingPathComponent("good").path
            let r3 = runArgus(["simulate", policy, "--system", system, "--scenario", scenario, "--trace", trace, "--dump-rings", good])
            #expect(r3.status == 0, "\(r3.err)")
            #expect(HostileFixtures.files(under: good) == ["a1-10-netvm.ring", "dom0-1-any.ring"])
            #expect(FileManager.default.fileExists(atPath: trace))
        }
    }

    @Test func outputTargetsAreReplacedFollowedWrittenThroughOrRefused() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let audit = ["audit", policy, "--system", system, "--format", "csv", "-o"]
            // A symbolic link: the file it names is replaced, the link stays a link.
            let target = dir.appendingPathComponent("target.csv").path
            HostileFixtures.write("old", to: target)
            let link = dir.appendingPathComponent("link.csv").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.csv")
            #expect(runArgus(audit + [link]).status == 0)
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.csv")
            #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("source,target"))
            // A replaced file keeps its mode; a new one gets 0666 less the umask.
            #expect(chmod(target, 0o600) == 0)
            #expect(runArgus(audit + [link]).status == 0)
            var mode = stat()
            #expect(stat(target, &mode) == 0 && mode.st_mode & 0o777 == 0o600)
            let fresh = dir.appendingPathComponent("fresh.csv").path
            #expect(runArgus(audit + [fresh]).status == 0)
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let umaskLine = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
            let mask = try #require(mode_t(umaskLine.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8))
            #expect(stat(fresh, &mode) == 0 && mode.st_mode & 0o777 == 0o666 & ~mask)
            try FileManager.default.removeItem(atPath: fresh)
            // A device is written through, never replaced.
            #expect(runArgus(audit + ["/dev/null"]).status == 0)
            var info = stat()
            #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
            // A FIFO nobody reads: an error, not a hang.
            let fifo = dir.appendingPathComponent("fifo").path
            #expect(mkfifo(fifo, 0o600) == 0)
            let r = runArgus(audit + [fifo])
            #expect(r.status == 2 && r.err.hasPrefix("\(fifo): error:"), "\(r.err)")
            // A directory, a dangling link, a missing directory: refused, nothing written.
            for bad in [dir.path, dir.appendingPathComponent("dangling").path, dir.appendingPathComponent("no/such.csv").path] {
                if bad.hasSuffix("dangling") { try FileManager.default.createSymbolicLink(atPath: bad, withDestinationPath: "nowhere") }
                let r = runArgus(audit + [bad])
                #expect(r.status == 2 && r.err.hasPrefix("\(bad): error:") && r.err.split(separator: "\n").count == 1, "\(r.err)")
            }
            #expect(HostileFixtures.files(under: dir.path) == ["dangling", "fifo", "link.csv", "target.csv"])
        }
    }

    @Test func crlfLogsScenariosAndXLConfigsReadLikeLF() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let log = try String(contentsOfFile: Fixtures.root.appendingPathComponent("examples/logs/example-dmesg.log").path, encoding: .utf8)
            let crlf = dir.appendingPathComponent("crlf.log").path
            let lf = dir.appendingPathComponent("lf.log").path
            HostileFixtures.write(log.replacingOccurrences(of: "\n", with: "\r\n"), to: crlf)
            HostileFixtures.write(log, to: lf)
            let a = runArgus(["explain-log", policy, "--system", system, lf, "--format", "json"])
            let b = runArgus(["explain-log", policy, "--system", system, crlf, "--format", "json"])
            #expect(a.status == 1 && b.status == 1, "\(b.err)")
            #expect(b.out.replacingOccurrences(of: crlf, with: lf) == a.out)
            #expect(a.out.contains(#""denials" : "#) && !a.out.contains(#""denials" : 0,"#))

            // A CRLF scenario: same trace, errors at the same line.
            let scenario = try String(contentsOfFile: Fixtures.root.appendingPathComponent("examples/scenarios/with-policy/example-system.yaml").path,
                                      encoding: .utf8)
            let s1 = dir.appendingPathComponent("s1.yaml").path, s2 = dir.appendingPathComponent("s2.yaml").path
            HostileFixtures.write(scenario, to: s1)
            HostileFixtures.write(scenario.replacingOccurrences(of: "\n", with: "\r\n"), to: s2)
            let t1 = runArgus(["simulate", policy, "--system", system, "--scenario", s1, "--trace", "-"])
            let t2 = runArgus(["simulate", policy, "--system", system, "--scenario", s2, "--trace", "-"])
            #expect(t1.status == 0 && t1.out == t2.out && !t1.out.isEmpty)
            HostileFixtures.write("steps:\r\n  - {op: read, domain: a1, aport: 1, partner: dom0}\r\n  - {op: bogus}\r\n", to: s2)
            #expect(runArgus(["simulate", policy, "--system", system, "--scenario", s2]).err.hasPrefix("\(s2):3:"))

            // An xl config with CRLF: its name and seclabel are read, and a bad line is placed right.
            let vms = dir.appendingPathComponent("vms").path
            try FileManager.default.createDirectory(atPath: vms, withIntermediateDirectories: true)
            HostileFixtures.write("# a1\r\nname = \"a1\"\r\nseclabel = \"tenant_a_u:vm_r:tenant_a_t\"\r\n", to: vms + "/a1.cfg")
            let toml = dir.appendingPathComponent("system.toml").path
            HostileFixtures.write("[boot]\ncmdline = \"argo=1 xsm=flask\"\n\n[[domain]]\nname = \"dom0\"\ndomid = 0\nlabel = \"system_u:system_r:dom0_t\"\n\n[[domain]]\nxl = \"vms/a1.cfg\"\ndomid = 3\n",
                                  to: toml)
            let audit = runArgus(["audit", policy, "--system", toml, "--format", "csv"])
            #expect(audit.status == 0, "\(audit.err)")
            #expect(audit.out.contains("a1,"))
            HostileFixtures.write("name = \"a1\"\r\n\r\nseclabel = unquoted\r\n", to: vms + "/a1.cfg")
            let bad = runArgus(["audit", policy, "--system", toml])
            #expect(bad.status == 2 && bad.err.hasPrefix(vms + "/a1.cfg:3:"), "\(bad.err)")
        }
    }

    @Test func errorsAreOneLineWithAPlace() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let scenario = dir.appendingPathComponent("s.yaml").path
            func simulate(_ text: String) -> (status: Int32, out: String, err: String) {
                HostileFixtures.write(text, to: scenario)
                return runArgus(["simulate", policy, "--system", system, "--scenario", scenario])
            }
            // YAML syntax: one line, line and column, no quoted source or caret.
            let yaml = simulate("steps:\n  - {op: read, domain: a1\n  - x: [\n")
            #expect(yaml.status == 2 && yaml.err.hasPrefix("\(scenario):3:") && yaml.err.split(separator: "\n").count == 1, "\(yaml.err)")
            // A label holding a newline and an escape sequence: escaped, one line.
            let label = simulate("steps:\n  - {op: create, name: n1, domid: 20, label: \"x\\ny\\u001b[31m\"}\n")
            #expect(label.status == 2 && label.err.split(separator: "\n").count == 1, "\(label.err)")
            #expect(label.err.hasPrefix("\(scenario):2: error: create: ") && label.err.contains("x\\ny\\u{1b}[31m"), "\(label.err)")
            // Not UTF-8: the place of the first bad byte.
            _ = FileManager.default.createFile(atPath: scenario, contents: Data("steps:\n  - {op: read,\u{20}".utf8 + [0xC3, 0x28]))
            let utf8 = runArgus(["simulate", policy, "--system", system, "--scenario", scenario])
            #expect(utf8.err == "\(scenario):2:16: error: not UTF-8 text: invalid byte 0xC3 at byte offset 22\n")
            // A missing scenario is reported as missing, a directory as a directory.
            #expect(runArgus(["simulate", policy, "--system", system, "--scenario", dir.path + "/none"]).err
                        == "\(dir.path)/none: error: no such file or cannot read it\n")
            #expect(runArgus(["simulate", policy, "--system", system, "--scenario", dir.path]).err.hasPrefix("\(dir.path): error: is a directory"))
            // Usage errors: one line naming the command; --help stays whole.
            let usage = runArgus(["audit", policy])
            #expect(usage.status == 2)
            #expect(usage.err == "argus audit: error: Missing expected argument '--system <file>' (or --system-from-xl-list <file>) (see 'argus audit --help')\n")
            let help = runArgus(["audit", "--help"])
            #expect(help.status == 0 && help.out.contains("USAGE:") && help.out.split(separator: "\n").count > 5)
            // Option values: the option is the place.
            let ring = runArgus(["simulate", policy, "--system", system, "--generate", "--ring-size", "17"])
            #expect(ring.status == 2 && ring.err.hasPrefix("option --ring-size: error: "), "\(ring.err)")
            let bool = runArgus(["audit", policy, "--system", system, "--bool", "x"])
            #expect(bool.status == 2 && bool.err.hasPrefix("option --bool: error: "), "\(bool.err)")
        }
    }

    @Test func generatedRunsAboveTheMemoryLimitAreRefusedBeforeStarting() {
        let start = Date()
        let r = runArgus(["simulate", policy, "--system", system, "--generate", "--domains", "100", "--rings-per-domain", "128",
                          "--ring-size", "16777216", "--sizes", "16"])
        #expect(r.status == 2)
        #expect(r.err.hasPrefix("option --max-memory: error: this run needs about 200."), "\(r.err)")
        #expect(Date().timeIntervalSince(start) < 10)
        let small = runArgus(["simulate", policy, "--system", system, "--generate", "--messages", "100", "--max-memory", "1K"])
        #expect(small.status == 2 && small.err.hasPrefix("option --max-memory: error: "))
        let bad = runArgus(["simulate", policy, "--system", system, "--generate", "--max-memory", "lots"])
        #expect(bad.err == "option --max-memory: error: 'lots' is not a byte count (e.g. 512M, 4G)\n")
        let fine = runArgus(["simulate", policy, "--system", system, "--generate", "--messages", "100", "--max-memory", "1G", "--format", "json"])
        #expect(fine.status == 0, "\(fine.err)")
    }

    @Test func notifyWithTenThousandEntriesIsTheHypervisorsToRefuse() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let scenario = dir.appendingPathComponent("s.yaml").path
            let entries = Array(repeating: "{domain: uivm, aport: 1}", count: 10_000).joined(separator: ", ")
            HostileFixtures.write("steps:\n  - {op: notify, domain: dom0, entries: [\(entries)], expect: -EACCES}\n"
                                  + "  - {op: notify, domain: dom0, nent: 2, entries: [\(entries)], expect: 0}\n", to: scenario)
            let r = runArgus(["simulate", policy, "--system", system, "--scenario", scenario, "--format", "json"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains(#""expectation_mismatches":0"#))
        }
    }
}

/// Records the pieces a command writes, without keeping more than their sizes and the text.
final class ChunkRecorder: TextOutput, @unchecked Sendable {
    private let lock = NSLock()
    private var sizes: [Int] = []
    private var text = ""

    func write(_ piece: String) {
        lock.lock()
        sizes.append(piece.utf8.count)
        text += piece
        lock.unlock()
    }

    var pieces: [Int] { lock.lock(); defer { lock.unlock() }; return sizes }
    var all: String { lock.lock(); defer { lock.unlock() }; return text }
}

/// Large outputs leave in bounded pieces as they are rendered (issue 13: a 5,000-domain JSON
/// audit took 3.1 GiB); the bytes are those of the whole-document renderers.
@Suite struct StreamingOutputTests {
    static func bigSystem(_ dir: URL, domains: Int) -> String {
        let labels = ["system_u:system_r:netvm_t", "tenant_a_u:vm_r:tenant_a_t", "tenant_b_u:vm_r:tenant_b_t", "system_u:system_r:uivm_t"]
        var toml = "[boot]\ncmdline = \"argo=1,mac-permissive=1 xsm=flask\"\n\n[[domain]]\nname = \"dom0\"\ndomid = 0\nlabel = \"system_u:system_r:dom0_t\"\n"
        for i in 1 ..< domains { toml += "\n[[domain]]\nname = \"d\(i)\"\ndomid = \(i)\nlabel = \"\(labels[i % labels.count])\"\n" }
        let path = dir.appendingPathComponent("big.toml").path
        HostileFixtures.write(toml, to: path)
        return path
    }

    @Test(arguments: ["json", "csv", "text", "dot"])
    func auditStreamsInBoundedPieces(format: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let system = Self.bigSystem(dir, domains: 200)
            let recorder = ChunkRecorder(), err = CapturedOutput()
            let arguments = ["audit", HostileFixtures.binaryPolicyPath, "--system", system, "--format", format]
            let status = CommandRunner.run(arguments, in: CommandContext(standardOutput: recorder, standardError: err))
            #expect(status == 0, "\(err.text)")
            #expect(recorder.pieces.count > 3, "\(format): \(recorder.pieces.count) pieces")
            #expect((recorder.pieces.max() ?? 0) < 80 * 1024, "\(format): a piece of \(recorder.pieces.max() ?? 0) bytes")
            let file = dir.appendingPathComponent("out").path
            #expect(runArgus(arguments + ["-o", file]).status == 0)
            let written = try String(contentsOfFile: file, encoding: .utf8)
            #expect(written == recorder.all)
        }
    }

    @Test func explainLogStreamsALongLog() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let example = try String(contentsOfFile: Fixtures.root.appendingPathComponent("examples/logs/example-dmesg.log").path, encoding: .utf8)
            let log = dir.appendingPathComponent("long.log").path
            HostileFixtures.write(String(repeating: example, count: 300), to: log)
            for format in ["text", "json"] {
                let recorder = ChunkRecorder(), err = CapturedOutput()
                let status = CommandRunner.run(["explain-log", HostileFixtures.binaryPolicyPath, "--system", Fixtures.exampleSystemPath, log,
                                                "--format", format], in: CommandContext(standardOutput: recorder, standardError: err))
                #expect(status == 1, "\(err.text)")
                #expect(recorder.pieces.count > 3 && (recorder.pieces.max() ?? 0) < 80 * 1024, "\(format): \(recorder.pieces)")
                #expect(recorder.all.contains(format == "json" ? "\"argoRecords\" : 2100," : "2100 argo AVC records (1800 denied, 300 granted)"))
            }
        }
    }
}
