import ArgoEngine
import ArgusAnalysis
import Flask
import Foundation
import Testing
import ArgusCommands
import TestSupport

/// Seeded fuzzing of every text input of simulate, explain-log and the xl configs, and of the
/// command line (issue 13). Each case runs in-process through `CommandRunner` and must keep the
/// README's promises (`FuzzRun.check`); the output directory of a failed run must stay empty
/// and nothing may appear outside it. A few seconds by default; `ARGUS_FUZZ_SECONDS=60` runs
/// each random phase for a minute; `ARGUS_FUZZ_SEED` changes the seed. A failing input is
/// saved (path in the failure) to be added to Tests/Fuzz.
@Suite struct InputFuzzTests {
    static let policy = HostileFixtures.binaryPolicyPath
    static let system = Fixtures.exampleSystemPath
    static let scenarioSystem = Fixtures.root.appendingPathComponent("examples/scenarios/system.toml").path

    static let scenarioSeeds: [(file: String, system: String)] = [
        ("examples/scenarios/basic.yaml", scenarioSystem), ("examples/scenarios/full-ring.yaml", scenarioSystem),
        ("examples/scenarios/hostile.yaml", scenarioSystem), ("examples/scenarios/with-policy/example-system.yaml", system),
        ("examples/logs/example-dmesg.yaml", system),
        ("examples/scenarios/openxt/firewall.yaml", Fixtures.root.appendingPathComponent("examples/scenarios/openxt/system.toml").path),
    ]

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.root.appendingPathComponent(relative)))
    }

    /// Runs simulate on `bytes` with a trace and a ring dump into a fresh directory; checks the
    /// promises and that a failed run leaves nothing. Returns the run.
    @discardableResult
    static func simulate(_ bytes: [UInt8], system: String, what: String, in dir: URL, invalid: Bool = false) -> FuzzRun {
        let scenario = dir.appendingPathComponent("s.yaml").path
        _ = FileManager.default.createFile(atPath: scenario, contents: Data(bytes))
        let out = dir.appendingPathComponent("out")
        try? FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let rings = out.appendingPathComponent("rings").path
        let trace = out.appendingPathComponent("trace.jsonl").path
        let run = FuzzRun.run(["simulate", policy, "--system", system, "--scenario", scenario, "--trace", trace,
                               "--dump-rings", rings, "--format", "json"])
        var ok = run.check(what, places: [scenario], needsLine: true)
        if invalid && run.status != 2 { ok = false; Issue.record("\(what): invalid input accepted (exit \(run.status))") }
        let outside = HostileFixtures.files(under: dir.path).filter { !$0.hasPrefix("out") && $0 != "s.yaml" }
        if !outside.isEmpty { ok = false; Issue.record("\(what): files outside the output directory: \(outside)") }
        let written = HostileFixtures.files(under: out.path)
        if run.status == 2 && !written.isEmpty { ok = false; Issue.record("\(what): a failed run left \(written)") }
        if run.status != 2 && !written.contains("trace.jsonl") { ok = false; Issue.record("\(what): no trace written") }
        if !ok { Issue.record("saved as \(CrasherJar.save(bytes, name: "scenario-\(UInt(bitPattern: what.hashValue)).yaml"))") }
        try? FileManager.default.removeItem(at: out)
        return run
    }

    @Test(arguments: InputFuzzTests.scenarioSeeds.map(\.file))
    func scenarioTruncatedAtEveryByte(file: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            for seed in Self.scenarioSeeds where seed.file == file {
                let bytes = try Self.bytes(seed.file)
                // Every byte through the parser and the simulator (fast); through the CLI every 97th
                // byte by default (a CLI run builds a decision table), every 7th with ARGUS_FUZZ_SECONDS.
                for cut in 0 ... bytes.count {
                    let prefix = Array(bytes.prefix(cut))
                    let text = String(decoding: prefix, as: UTF8.self)
                    do throws(InputError) {
                        let scenario = try ScenarioParser.parse(text, file: "t.yaml")
                        if cut % 13 == 0 {
                            _ = try ScenarioSimulator(settings: ArgoBootSettings(), domains: Self.libraryDomains,
                                                      resolveLabel: { _ in 10 }).run(scenario)
                        }
                    } catch {
                        #expect(error.location?.file == "t.yaml" && error.location?.line != nil, "\(seed.file) cut \(cut): \(error)")
                    }
                    if cut % Self.cliStride == 0 || cut == bytes.count {
                        let run = Self.simulate(prefix, system: seed.system, what: "\(seed.file) truncated at \(cut)", in: dir)
                        if cut == bytes.count { #expect(run.status == 0, "\(run.err)") }
                    }
                }
            }
        }
    }

    static var cliStride: Int { ProcessInfo.processInfo.environment["ARGUS_FUZZ_SECONDS"] == nil ? 97 : 7 }

    static let libraryDomains = ["dom0", "netvm", "uivm", "a1", "a2", "b1", "isolated", "stub-a1"].enumerated().map { index, name in
        SimulationDomain(name: name, domid: UInt16(index), sid: 10, privileged: index == 0)
    }

    @Test func scenarioRandomMutations() throws {
        try Fixtures.withTemporaryDirectory { dir in
            var mutator = Mutator(random: SplitMix64(seed: FuzzBudget.seed))
            let seeds = try Self.scenarioSeeds.map { (try Self.bytes($0.file), $0.system) }
            let deadline = Date().addingTimeInterval(FuzzBudget.seconds)
            var cases = 0
            while Date() < deadline || cases < 50 {
                let (input, system) = mutator.pick(seeds)
                var (what, bytes, invalid) = mutator.mutate(input)
                if mutator.random.chance(0.3) {
                    let second = mutator.mutate(bytes)
                    what += ", " + second.0
                    bytes = second.1
                    invalid = invalid || second.invalid
                }
                Self.simulate(bytes, system: system, what: what, in: dir, invalid: invalid)
                cases += 1
            }
        }
    }

    /// Shapes no mutation of the examples reaches: alias bombs, deep nesting, huge counts.
    @Test func scenarioGeneratedHostileShapes() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let system = Self.scenarioSystem
            var cases: [(String, String, Bool)] = []
            // Billion laughs: each level repeats the one below ten times.
            var bomb = "a0: &a0 {len: 0x1000000}\n"
            for level in 1 ... 9 { bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
            cases.append(("alias bomb of steps", bomb + "steps: *a9\n", true))
            var hex = "h: &h {hex: \"" + String(repeating: "ab", count: 50_000) + "\"}\nsteps:\n  - {op: sendv, domain: dom0, src: {domain: any, aport: 1}, dst: {domain: a1, aport: 1}, iov: ["
            hex += Array(repeating: "*h", count: 20_000).joined(separator: ", ") + "]}\n"
            cases.append(("alias bomb of hex iovs", hex, true))
            cases.append(("deep flow nesting", "steps: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n", true))
            cases.append(("deep block nesting", "steps:\n" + String(repeating: "- ", count: 50_000) + "x\n", true))
            cases.append(("deep mapping nesting", "steps:\n" + (0 ..< 3000).map { String(repeating: " ", count: $0) + "k\($0):\n" }.joined(), true))
            cases.append(("300 refused huge registers", "steps:\n" + String(repeating: "  - {op: register, domain: a1, aport: 1, partner: dom0, len: 0xFFFFFFF0, expect: -EINVAL}\n", count: 300), false))
            cases.append(("64 refused 16 MiB iovs", "steps:\n  - {op: sendv, domain: dom0, src: {domain: any, aport: 1}, dst: {domain: a1, aport: 1}, iov: ["
                            + Array(repeating: "{len: 0x1000000}", count: 64).joined(separator: ", ") + "]}\n", false))
            cases.append(("100k iovs", "steps:\n  - {op: sendv, domain: dom0, src: {domain: any, aport: 1}, dst: {domain: a1, aport: 1}, iov: ["
                            + Array(repeating: "\"x\"", count: 100_000).joined(separator: ", ") + "], expect: -EINVAL}\n", false))
            cases.append(("10k notify entries", "steps:\n  - {op: notify, domain: dom0, entries: ["
                            + Array(repeating: "{domain: a1, aport: 1}", count: 10_000).joined(separator: ",") + "], expect: -EACCES}\n", false))
            cases.append(("a 4 MiB label", "steps:\n  - {op: create, name: x, domid: 9, label: \"" + String(repeating: "u", count: 4 << 20) + "\"}\n", true))
            cases.append(("a name that leaves the directory", "steps:\n  - {op: register, domain: dom0, aport: 1, partner: a1, len: 4032}\n"
                            + "  - {op: create, name: ../ESCAPE, domid: 9, label: \"system_u:system_r:dom0_t\"}\n", true))
            cases.append(("huge numbers", "steps:\n  - {op: register, domain: 99999999999999999999, aport: 1, partner: dom0, len: 4032}\n", true))
            cases.append(("a NUL in a comment", "steps:\n  # \u{0}\n  - {op: read, domain: a1, aport: 1, partner: dom0}\n", true))
            cases.append(("empty file", "", true))
            for (what, text, invalid) in cases {
                let run = Self.simulate(Array(text.utf8), system: system, what: what, in: dir, invalid: invalid)
                if !invalid { #expect(run.status == 0, "\(what): \(run.err)") }
            }
        }
    }

    @Test func avcLogMutations() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let original = try Self.bytes("examples/logs/example-dmesg.log")
            let log = dir.appendingPathComponent("x.log").path
            var mutator = Mutator(random: SplitMix64(seed: FuzzBudget.seed &+ 1))
            func run(_ bytes: [UInt8], _ what: String) -> FuzzRun {
                _ = FileManager.default.createFile(atPath: log, contents: Data(bytes))
                let r = FuzzRun.run(["explain-log", Self.policy, "--system", Self.system, log, "--format", "json"])
                if !r.check(what, places: [log], needsLine: false) { Issue.record("saved as \(CrasherJar.save(bytes, name: "log-\(UInt(bitPattern: what.hashValue)).log"))") }
                return r
            }
            let reference = run(original, "the example log")
            #expect(reference.status == 1)
            // Whatever surrounds the AVC lines (CRLF, other lines, control characters, bad UTF-8),
            // every denial is still seen: exit 1 and the same denial count.
            let denials = reference.out.split(separator: "\n").first { $0.contains("\"denials\"") }
            let lines = original.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            for (what, transform) in [("CRLF", { (l: [UInt8]) in l + [0x0D] }), ("CR CR", { $0 + [0x0D, 0x0D] })] as [(String, ([UInt8]) -> [UInt8])] {
                let r = run(Array(lines.map(transform).joined(separator: [0x0A])), what)
                #expect(r.status == 1 && r.out.split(separator: "\n").first { $0.contains("\"denials\"") } == denials, "\(what)")
            }
            let deadline = Date().addingTimeInterval(FuzzBudget.seconds)
            var cases = 0
            while Date() < deadline || cases < 8 {
                var bytes: [UInt8] = []
                var what = ""
                for line in lines {
                    if line.contains(where: { $0 == UInt8(ascii: "a") }) && String(decoding: line, as: UTF8.self).contains("avc:") {
                        bytes += line + [0x0A]
                    } else {
                        let (w, mutated, _) = mutator.mutate(line)
                        what += w + "; "
                        bytes += mutated.filter { $0 != 0x0A } + [0x0A]
                    }
                }
                let r = run(bytes, "log with non-AVC lines mutated: \(what.prefix(300))")
                #expect(r.status == 1, "denials hidden by \(what.prefix(300))")
                // And the AVC lines themselves mutated: any exit but a crash or a hang.
                let (w2, mutated, _) = mutator.mutate(original)
                _ = run(mutated, "log mutated: \(w2)")
                cases += 1
            }
        }
    }

    @Test func xlConfigMutations() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let original = try Self.bytes("examples/vms/tenant-a1.cfg")
            let vms = dir.appendingPathComponent("vms")
            try FileManager.default.createDirectory(at: vms, withIntermediateDirectories: true)
            let cfg = vms.appendingPathComponent("a1.cfg").path
            let toml = dir.appendingPathComponent("system.toml").path
            HostileFixtures.write("[boot]\ncmdline = \"argo=1 xsm=flask\"\n\n[[domain]]\nname = \"dom0\"\ndomid = 0\nlabel = \"system_u:system_r:dom0_t\"\n\n[[domain]]\nxl = \"vms/a1.cfg\"\ndomid = 3\n", to: toml)
            var mutator = Mutator(random: SplitMix64(seed: FuzzBudget.seed &+ 2))
            let deadline = Date().addingTimeInterval(FuzzBudget.seconds)
            var cases = 0
            while Date() < deadline || cases < 50 {
                let (what, bytes, invalid) = mutator.mutate(original)
                _ = FileManager.default.createFile(atPath: cfg, contents: Data(bytes))
                let r = FuzzRun.run(["audit", Self.policy, "--system", toml, "--format", "csv"])
                var ok = r.check("xl config: \(what)", places: [cfg, toml], needsLine: false)
                // A control character or a non-UTF-8 byte inside the name or the label must not pass.
                let text = String(decoding: bytes, as: UTF8.self)
                let valueLines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
                    .filter { $0.hasPrefix("name") || $0.hasPrefix("seclabel") }
                if invalid, valueLines.contains(where: { $0.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F || $0 == "\u{FFFD}" } }),
                   r.status == 0 {
                    ok = false
                    Issue.record("xl config: \(what): accepted a control character or a bad byte in a value")
                }
                if !ok { Issue.record("saved as \(CrasherJar.save(bytes, name: "xl-\(UInt(bitPattern: what.hashValue)).cfg"))") }
                cases += 1
            }
        }
    }

    /// Rules files mutated and checked without a system file (selectors resolved against every
    /// valid label): any exit but a crash or a hang, exit 2 with one line at the rules file.
    @Test func universeRulesMutations() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let original = try Self.bytes("examples/rules/universe.toml")
            let rules = dir.appendingPathComponent("rules.toml").path
            var mutator = Mutator(random: SplitMix64(seed: FuzzBudget.seed &+ 5))
            func run(_ bytes: [UInt8], _ what: String) -> FuzzRun {
                _ = FileManager.default.createFile(atPath: rules, contents: Data(bytes))
                let r = FuzzRun.run(["check", Self.policy, "--rules", rules, "--today", "2026-06-01", "--xen", "head", "--format", "json"])
                if !r.check(what, places: [rules], needsLine: false) { Issue.record("saved as \(CrasherJar.save(bytes, name: "rules-\(UInt(bitPattern: what.hashValue)).toml"))") }
                return r
            }
            #expect(run(original, "the universe rules").status == 1)
            let deadline = Date().addingTimeInterval(FuzzBudget.seconds)
            var cases = 0
            while Date() < deadline || cases < 8 {
                let (what, mutated, _) = mutator.mutate(original)
                _ = run(mutated, "universe rules mutated: \(what)")
                cases += 1
            }
        }
    }

    /// The host files of issue 12: `xl list -Z` output and xl configs in full syntax (lists,
    /// `;`, `+=`, stub domains, init_seclabel), mutated; every run keeps the promises, and a
    /// control character or a byte that is not UTF-8 anywhere in them is refused.
    @Test(arguments: ["host/xl-list.txt", "host/vms/20-a1.cfg", "host/vms/30-b1.cfg"])
    func hostFileMutations(file: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let examples = Fixtures.root.appendingPathComponent("examples/host")
            let original = try Self.bytes("examples/" + file)
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("vms"), withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: examples.appendingPathComponent("vms").path) {
                try FileManager.default.copyItem(at: examples.appendingPathComponent("vms/" + name), to: dir.appendingPathComponent("vms/" + name))
            }
            for name in ["system.toml", "xl-info.txt"] {
                try FileManager.default.copyItem(at: examples.appendingPathComponent(name), to: dir.appendingPathComponent(name))
            }
            let target = dir.appendingPathComponent(file.replacingOccurrences(of: "host/", with: "")).path
            let arguments = file.hasSuffix(".txt")
                ? ["audit", Self.policy, "--system-from-xl-list", target, "--xl-info", dir.appendingPathComponent("xl-info.txt").path, "--format", "csv"]
                : ["audit", Self.policy, "--system", dir.appendingPathComponent("system.toml").path, "--format", "csv"]
            var mutator = Mutator(random: SplitMix64(seed: FuzzBudget.seed &+ 4 &+ UInt64(file.utf8.count)))
            let deadline = Date().addingTimeInterval(FuzzBudget.seconds)
            var cases = 0
            while Date() < deadline || cases < 50 {
                let (what, bytes, invalid) = mutator.mutate(original)
                _ = FileManager.default.createFile(atPath: target, contents: Data(bytes))
                let r = FuzzRun.run(arguments)
                var ok = r.check("\(file): \(what)", places: [target, dir.appendingPathComponent("system.toml").path], needsLine: false)
                if invalid && r.status != 2 {
                    ok = false
                    Issue.record("\(file): \(what): a control character or a bad byte was accepted (exit \(r.status))")
                }
                if !ok { Issue.record("saved as \(CrasherJar.save(bytes, name: "host-\(UInt(bitPattern: what.hashValue))-" + (file as NSString).lastPathComponent))") }
                cases += 1
            }
            // The unmutated file still passes: the loop tested something.
            _ = FileManager.default.createFile(atPath: target, contents: Data(original))
            #expect(FuzzRun.run(arguments).status == 0)
        }
    }

    @Test func commandLineArguments() throws {
        try Fixtures.withTemporaryDirectory { dir in
            var random = SplitMix64(seed: FuzzBudget.seed &+ 3)
            let scenario = Fixtures.root.appendingPathComponent("examples/scenarios/with-policy/example-system.yaml").path
            let log = Fixtures.root.appendingPathComponent("examples/logs/example-dmesg.log").path
            let out = dir.appendingPathComponent("out")
            let commands: [[String]] = [["audit"], ["query"], ["simulate"], ["explain-log"], ["lint"], ["check"], ["policy", "info"],
                                        ["policy", "validate"], ["defs"], ["diff"], ["paths"], [], ["bogus"], ["policy"]]
            let values = ["", "-", "0", "1", "-1", "17", "4096", "99999999999999999999", "0x10", "true", "maybe", "a\nb", "x\u{1b}[31m",
                          "\u{0}", "é", String(repeating: "z", count: 5000), "/nonexistent/file", dir.path, Self.policy, Self.system,
                          scenario, log, out.appendingPathComponent("o.txt").path, "a1", "b1", "dom0", "../ESCAPE", "send", "channel",
                          "json", "text", "csv", "dot", "html", "sarif", "x=y", "2027-01-31", "31/01/2027", "16,256", "16,,x",
                          "type:dom0_t", "attr:tenant_guest", "role:vm_r", "user:nobody", "type:", "*", "netvm_t"]
            let options = ["--system", "--system-from-xl-list", "--xl-info", "--format", "--bool", "--from", "--to", "--perm", "--scenario", "--trace", "--dump-rings", "-o",
                           "--output", "--rules", "--today", "--seed", "--messages", "--domains", "--rings-per-domain", "--ring-size",
                           "--sizes", "--churn-every", "--max-memory", "--class", "--flask-dir", "--baseline", "--explain", "--json",
                           "--generate", "--mls", "--help", "-h", "--version", "--unknown", "-x",
                           "--from-type", "--to-type", "--max-hops", "--all", "--limit"]
            let deadline = Date().addingTimeInterval(FuzzBudget.seconds)
            var cases = 0
            while Date() < deadline || cases < 60 {
                var arguments = commands[random.below(commands.count)]
                if random.chance(0.8) { arguments.append(Self.policy) }
                for _ in 0 ..< random.within(0 ... 6) {
                    if random.chance(0.7) { arguments.append(options[random.below(options.count)]) }
                    let index = random.below(values.count)
                    // Output options write inside `out` (deterministically named, so a seed replays).
                    arguments.append(["--trace", "--dump-rings", "-o", "--output"].contains(arguments.last ?? "")
                                     ? out.appendingPathComponent("o\(index % 4)").path : values[index])
                }
                // Legitimately long runs are not what this looks for: generated traffic stays small.
                if arguments.contains("--generate") { arguments += ["--messages", "500", "--max-memory", "64M"] }
                try? FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
                let r = FuzzRun.run(arguments)
                _ = r.check("argus \(arguments.map { $0.debugDescription }.joined(separator: " ").prefix(400))", places: [], needsLine: false)
                let outside = HostileFixtures.files(under: dir.path).filter { !$0.hasPrefix("out") }
                #expect(outside.isEmpty, "files outside the output directory: \(outside)")
                if r.status == 2 { #expect(HostileFixtures.files(under: out.path).isEmpty, "a failed run left files: \(arguments)") }
                try? FileManager.default.removeItem(at: out)
                cases += 1
            }
        }
    }
}
