import ArgusAnalysis
import Flask
import Foundation
import PolicyGenerator
import Testing
import TestSupport
import TOMLReader

/// Mutated TOML through every reader of TOML input: the reader itself, the system file and
/// the rules file (which `check` and `explain-log` share). Every case must end in a value or
/// in an error with a line and a column, quickly; the classes that used to fail open (NUL,
/// `\u0000`, CRLF, blank reasons) must be refused wherever they are put.
///
/// The default run takes a few seconds; `ARGUS_FUZZ_SECONDS=N` runs each loop for N seconds.
@Suite struct TOMLFuzzTests {
    static let seedFiles = ["examples/system.toml", "examples/rules/guests-avoid-dom0.toml",
                            "examples/rules/platform.toml", "examples/logs/never-rules.toml"]

    static func seeds() throws -> [(path: String, text: String)] {
        let out: [(path: String, text: String)] = try seedFiles.map { name in
            let url = Fixtures.root.appendingPathComponent(name)
            return (path: url.path, text: try String(contentsOf: url, encoding: .utf8))
        }
        #expect(out.count == seedFiles.count && out.allSatisfy { !$0.text.isEmpty })
        return out
    }

    static var seconds: Double {
        ProcessInfo.processInfo.environment["ARGUS_FUZZ_SECONDS"].flatMap(Double.init) ?? 2
    }

    /// Runs `text` through every TOML entry point; returns false when any accepted it.
    static func readEverywhere(_ text: String, path: String) -> (accepted: Bool, errors: [InputError]) {
        var errors: [InputError] = []
        var accepted = false
        do { _ = try TOML.parse(text); accepted = true } catch {}
        do { _ = try SystemInventory.parse(text: text, path: path) } catch { errors.append(error) }
        do { _ = try CheckRulesFile.parse(text: text, path: path) } catch { errors.append(error) }
        return (accepted, errors)
    }

    static let tokens: [String] = [
        "[.]", "[[", "]]", "[", "]", "\"\"\"", "'''", "\\u0000", "\\U0010FFFF", "\\UFFFFFFFF", "\u{0}", "\r", "\r\n",
        "0x", "9223372036854775808", "-0", "1e999", "nan", "inf", "=", ".", ",", "{", "}", "#", "\u{7F}", "\u{85}",
        "2027-02-29", "\\", "'", "\"", "\n[domain]\n", "\n[[domain]]\n", "a.b.c", "\u{202E}", "é", "\t",
        String(repeating: "[", count: 300), String(repeating: "{a=", count: 200), String(repeating: "x", count: 5000),
    ]

    static func mutate(_ text: String, rng: inout SplitMix64) -> String {
        var bytes = Array(text.utf8)
        for _ in 0..<(1 + rng.below(3)) {
            let at = bytes.isEmpty ? 0 : rng.below(bytes.count + 1)
            switch rng.below(6) {
            case 0: if at < bytes.count { bytes.remove(at: at) }
            case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
            case 2: if at < bytes.count { bytes[at] ^= UInt8(1 << rng.below(8)) }
            case 3: bytes.insert(contentsOf: Array(tokens[rng.below(tokens.count)].utf8), at: at)
            case 4: bytes = Array(bytes[..<at])
            default:
                let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
                let line = lines[rng.below(lines.count)]
                bytes.insert(contentsOf: Array(line) + [0x0A], at: at)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func mutatedDocumentsEndInAValueOrAPlacedError() throws {
        let seeds = try Self.seeds()
        var rng = SplitMix64(seed: 0x70_4D4C)
        let deadline = Date().addingTimeInterval(Self.seconds)
        var cases = 0, slowest = 0.0
        while Date() < deadline || cases < 2_000 {
            let seed = seeds[rng.below(seeds.count)]
            let text = Self.mutate(seed.text, rng: &rng)
            let start = Date()
            let result = Self.readEverywhere(text, path: seed.path)
            slowest = max(slowest, Date().timeIntervalSince(start))
            for error in result.errors {
                let line = error.description
                if !line.hasPrefix(seed.path) || line.contains("\n") {
                    Issue.record("unplaced or multi-line error for \(text.debugDescription): \(line)")
                    return
                }
            }
            if !result.accepted, let e = result.errors.first, e.location?.line == nil || e.location?.column == nil {
                Issue.record("a syntax error without line and column: \(e) for \(text.debugDescription)")
                return
            }
            cases += 1
        }
        #expect(slowest < 1.0, "slowest case took \(slowest) s")
        print("TOML fuzz: \(cases) mutated documents through 3 entry points, slowest \(Int(slowest * 1000)) ms")
    }

    /// Every string value of every seed file, given a NUL escape, a raw control character or a
    /// line break escape: no reader may accept it as a name.
    @Test func controlCharactersInAnyNameAreRefusedAtTheirLine() throws {
        var checked = 0
        for seed in try Self.seeds() {
            let lines = seed.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (n, line) in lines.enumerated() {
                guard let eq = line.firstIndex(of: "="), line.hasSuffix("\""), !line.hasPrefix("#"),
                      !line.hasPrefix("reason") else { continue }
                _ = eq
                for poison in ["\\u0000x", "\\u001b[31m", "\\n", "\\u007F", "\\u0085"] {
                    var copy = lines
                    copy[n] = String(line.dropLast()) + poison + "\""
                    let text = copy.joined(separator: "\n")
                    let isRules = seed.path.contains("rules")
                    do {
                        if isRules { _ = try CheckRulesFile.parse(text: text, path: seed.path) } else {
                            _ = try SystemInventory.parse(text: text, path: seed.path)
                        }
                        Issue.record("accepted \(poison) in \(seed.path):\(n + 1)")
                    } catch {
                        #expect(error.location?.line == n + 1, "\(seed.path):\(n + 1) \(poison): \(error)")
                        #expect(error.message.contains("control character"), "\(error)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 50)
    }

    /// A raw NUL (or other control character) anywhere outside a string ends nothing silently:
    /// after every line of every seed, a comment holding one is refused at that line.
    @Test func controlCharactersInCommentsAreRefused() throws {
        var checked = 0
        for seed in try Self.seeds() {
            let lines = seed.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for n in 0..<lines.count {
                for c in ["\u{0}", "\u{1b}", "\u{7F}", "\r"] {
                    var copy = lines
                    copy.insert("# comment \(c) [[never]]", at: n)
                    let text = copy.joined(separator: "\n")
                    #expect(throws: TOMLParseError.self, "\(seed.path) line \(n + 1)") { try TOML.parse(text) }
                    do { _ = try CheckRulesFile.parse(text: text, path: "p.toml"); Issue.record("accepted") } catch {
                        #expect(error.location?.line == n + 1)
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 100)
    }

    /// CRLF files read exactly like LF files, lines included.
    @Test func crlfReadsLikeLF() throws {
        for seed in try Self.seeds() {
            let crlf = seed.text.replacingOccurrences(of: "\n", with: "\r\n")
            if seed.path.contains("rules") {
                let a = try CheckRulesFile.parse(text: seed.text, path: "p"), b = try CheckRulesFile.parse(text: crlf, path: "p")
                #expect(a == b, "\(seed.path)")
                #expect(!a.rules.isEmpty)
            } else {
                let a = try SystemInventory.parse(text: seed.text, path: seed.path), b = try SystemInventory.parse(text: crlf, path: seed.path)
                #expect(a == b, "\(seed.path)")
                #expect(!a.domains.isEmpty)
            }
        }
    }

    /// Domain names are identifiers: a path, a dot-dot or a space in one is refused at its value.
    @Test func domainNamesThatCouldLeaveADirectoryAreRefused() throws {
        for bad in ["../ESCAPE", "a/b", "..", "has space", "any", ".hidden", String(repeating: "x", count: 65)] {
            let text = "[[domain]]\nname = \"\(bad)\"\ndomid = 1\nlabel = \"system_u:system_r:dom0_t\"\n"
            do {
                _ = try SystemInventory.parse(text: text, path: "s.toml")
                Issue.record("accepted domain name \(bad)")
            } catch {
                #expect(error.location?.line == 2 && error.location?.column == 8, "\(bad): \(error)")
            }
        }
        #expect(try SystemInventory.parse(text: "[[domain]]\nname = \"stub-a1.x_2\"\ndomid = 1\nlabel = \"l\"\n", path: "s").domains.count == 1)
    }

    @Test func blankReasonsAreRefused() throws {
        for blank in ["\"\"", "\"\\n\"", "\"  \\t \"", "'''\n\n'''", "\"\\u00A0\""] {
            let text = "[[exempt]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"send\"\nreason = \(blank)\n"
            #expect(throws: InputError.self, "\(blank)") { try CheckRulesFile.parse(text: text, path: "p") }
        }
    }
}
