import Foundation
import Testing
@testable import Flask
import TestSupport

/// A policy source tree is code that m4 runs: it may not run commands, read or write files
/// outside what Argus hands m4, or run away in time, memory or output; and whatever it does,
/// m4 and checkpolicy never outlive Argus.
@Suite struct PolicySourceSandboxTests {
    /// Small limits, so that the runaway cases end fast.
    static let tight = ToolLimits(seconds: 3, memoryMiB: 128)

    /// A copy of the example tree with `text` appended to modules/isolated.te; the body gets the
    /// tree's path and the line the text starts on.
    func withTree<T>(appending text: String, _ body: (String, Int) throws -> T) throws -> T {
        try Fixtures.withTemporaryDirectory { dir in
            let copy = dir.appendingPathComponent("tree")
            try FileManager.default.copyItem(atPath: Fixtures.examplePolicyPath, toPath: copy.path)
            try FileManager.default.copyItem(atPath: Fixtures.flaskDirectory, toPath: dir.appendingPathComponent("flask").path)
            let te = copy.appendingPathComponent("modules/isolated.te")
            let original = try String(contentsOf: te, encoding: .utf8)
            try (original + text).write(to: te, atomically: true, encoding: .utf8)
            let firstLine = original.split(separator: "\n", omittingEmptySubsequences: false).count
            return try body(copy.path, firstLine)
        }
    }

    func load(_ path: String, limits: ToolLimits = tight) -> Result<Policy, InputError> {
        var loader = PolicyLoader(initialSIDNames: [])
        loader.toolLimits = limits
        return Result { () throws(InputError) in try loader.load(path) }
    }

    func refusal(_ result: Result<Policy, InputError>) -> InputError? {
        if case .failure(let e) = result { return e }
        return nil
    }

    @Test(arguments: [
        "esyscmd(`touch MARKER')", "syscmd(`touch MARKER')", "builtin(`esyscmd', `touch MARKER')",
        "define(`run', defn(`esyscmd'))run(`touch MARKER')", "include(`/dev/zero')", "sinclude(`/etc/passwd')",
        "include(`modules/isolated.if')", "mkstemp(`MARKERXXXXXX')", "maketemp(`MARKERXXXXXX')",
        "debugfile(`MARKER')", "undefine(`esyscmd')esyscmd(`touch MARKER')",
    ])
    func builtinsThatReachOutsideAreRefusedWhereUsed(_ use: String) throws {
        try Fixtures.withTemporaryDirectory { scratch in
            let marker = scratch.appendingPathComponent("pwned").path
            let text = use.replacingOccurrences(of: "MARKER", with: marker)
            try withTree(appending: text + "\n") { tree, line in
                let started = Date()
                let error = try #require(refusal(load(tree)), "\(use) was accepted")
                #expect(Date().timeIntervalSince(started) < 5)
                #expect(!FileManager.default.fileExists(atPath: marker), "\(use) touched a file")
                #expect(!error.description.contains("\n"))
                // Refusals name the file and line; the undefined one reaches checkpolicy as text.
                #expect(error.location?.file == tree + "/modules/isolated.te", "\(error)")
                #expect(error.location?.line == line, "\(error)")
            }
        }
    }

    @Test(arguments: [
        ("endless expansion", "define(`x', `x')x", "did not finish"),
        ("doubling", "define(`b', `b b')b", "m4"),
        ("endless output", "define(`l', `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx l')l", "m4"),
        ("deep nesting", "define(`d', `ifelse(`$1', `0', `', `d(decr($1))')')d(100000000)", "m4"),
        ("divert to a file", "divert(1)define(`l', `yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy l')l", "m4"),
    ])
    func runawayMacrosStopWithinTheLimits(_ name: String, _ text: String, _ expected: String) throws {
        try withTree(appending: text + "\n") { tree, _ in
            let started = Date()
            let error = try #require(refusal(load(tree)), "\(name) was accepted")
            let seconds = Date().timeIntervalSince(started)
            #expect(seconds < Self.tight.seconds + 3, "\(name): \(seconds) s")
            #expect(error.message.contains(expected), "\(name): \(error)")
            #expect(error.location?.file.hasPrefix(tree) == true, "\(name): \(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func crlfTreeLoadsLikeTheLFTreeAndCountsLines() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let copy = dir.appendingPathComponent("tree")
            try FileManager.default.copyItem(atPath: Fixtures.examplePolicyPath, toPath: copy.path)
            try FileManager.default.copyItem(atPath: Fixtures.flaskDirectory, toPath: dir.appendingPathComponent("flask").path)
            let files = FileManager.default.enumerator(atPath: copy.path)!.compactMap { $0 as? String }
            for rel in files {
                let url = copy.appendingPathComponent(rel)
                guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
                try text.replacingOccurrences(of: "\n", with: "\r\n").write(to: url, atomically: true, encoding: .utf8)
            }
            let crlf = try load(copy.path, limits: ToolLimits()).get()
            let lf = try Fixtures.examplePolicy()
            #expect(crlf.image == lf.image)
            // An error in a CRLF file is reported at its line.
            let te = copy.appendingPathComponent("modules/isolated.te")
            let text = try String(contentsOf: te, encoding: .utf8)
            let lines = text.components(separatedBy: "\r\n").count
            try (text + "allow isolated_t no_such_type_t:argo send;\r\n").write(to: te, atomically: true, encoding: .utf8)
            let error = try #require(refusal(load(copy.path, limits: ToolLimits())))
            #expect(error.location?.line == lines, "\(error)")
        }
    }

    @Test func checkpolicyErrorsAreNamedFromWhereTheCommandRan() throws {
        try withTree(appending: "allow isolated_t no_such_type_t:argo send;\n") { tree, line in
            // The same tree named by a relative path: errors keep that spelling.
            let cwd = FileManager.default.currentDirectoryPath
            let ups = cwd.split(separator: "/").map { _ in ".." }.joined(separator: "/")
            let relative = ups + tree
            let error = try #require(refusal(load(relative, limits: ToolLimits())))
            #expect(error.location?.file == relative + "/modules/isolated.te", "\(error)")
            #expect(error.location?.line == line)
        }
    }

    /// Seeded mutations of a module: bombs, includes, commands, control characters, CRLF,
    /// huge numbers, deep nesting. Each ends within the limits as a policy or one located error.
    @Test func mutatedModulesEndWithinTheLimits() throws {
        let fragments = [
            "define(`x', `x')x", "include(`/dev/zero')", "esyscmd(`id')", "\u{0}", "\u{1}\u{7f}", "\r\n", "\r",
            "define(`b', `b b')b", "9999999999999999999999", "eval(2**62)", "((((((((((", "`", "'", "dnl",
            "changequote([,])", "divert(-1)", "m4exit(3)", "ifdef(", "allow isolated_t self:argo send;", "}",
            "type t99999999999999999999;", String(repeating: "a", count: 5000),
        ]
        var random = SplitMix64(seed: 0x50_C7EE)
        let rounds = max(8, Int(Double(ProcessInfo.processInfo.environment["ARGUS_FUZZ_SECONDS"] ?? "") ?? 0))
        var loaded = 0, refused = 0
        for round in 0..<rounds {
            var text = ""
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                text += fragments[Int.random(in: 0..<fragments.count, using: &random)]
                text += Bool.random(using: &random) ? "\n" : " "
            }
            try withTree(appending: text) { tree, _ in
                let started = Date()
                switch load(tree) {
                case .success: loaded += 1
                case .failure(let error):
                    refused += 1
                    #expect(error.location?.file.hasPrefix(tree) == true, "round \(round) \(text.debugDescription): \(error)")
                    #expect(!error.description.contains("\n"), "round \(round): multi-line \(error)")
                }
                #expect(Date().timeIntervalSince(started) < Self.tight.seconds * 2 + 3, "round \(round) \(text.debugDescription)")
            }
        }
        #expect(loaded + refused == rounds)
        #expect(refused > 0)
    }

    /// SIGINT or SIGTERM to the built binary while m4 spins: Argus dies of the signal and m4
    /// (in its own process group) dies with it.
    @Test(arguments: [SIGINT, SIGTERM])
    func interruptingArgusKillsTheTools(_ signal: Int32) throws {
        let binary = Fixtures.root.appendingPathComponent(".build/debug/argus")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { return }
        try withTree(appending: "define(`x', `x')x\n") { tree, _ in
            let process = Process()
            process.executableURL = binary
            process.arguments = ["policy", "info", tree, "--compile-timeout", "60"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let argus = process.processIdentifier
            // Wait for m4 to start: a child of Argus.
            var child: Int32?
            let started = Date()
            while child == nil && Date().timeIntervalSince(started) < 20 {
                let list = (try? String(contentsOfFile: "/proc/\(argus)/task/\(argus)/children", encoding: .utf8)) ?? ""
                child = list.split(separator: " ").compactMap { Int32($0) }.first
                if child == nil { usleep(20_000) }
            }
            let tool = try #require(child, "m4 never started")
            usleep(200_000)
            kill(argus, signal)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal)
            // The whole group is gone (a zombie, if any, is reaped by init soon after).
            var alive = true
            let deadline = Date().addingTimeInterval(5)
            while alive && Date() < deadline {
                let stat = (try? String(contentsOfFile: "/proc/\(tool)/stat", encoding: .utf8)) ?? ""
                alive = !stat.isEmpty && !stat.contains(") Z ")
                if alive { usleep(20_000) }
            }
            #expect(!alive, "m4 (pid \(tool)) outlived Argus")
        }
    }
}
