import Foundation
import Testing
@testable import Flask
import Sepol
import TestSupport

/// Bad POLICY arguments: one clear error naming the file (and line), never a crash.
@Suite struct PolicyErrorTests {
    func loadError(_ path: String, loader: PolicyLoader? = nil) throws -> InputError {
        let l = try loader ?? PolicyLoader(flaskDirectory: Fixtures.flaskDirectory)
        do {
            _ = try l.load(path)
        } catch {
            return error
        }
        Issue.record("\(path) loaded, expected an error")
        return InputError("no error")
    }

    @Test func missingFileAndNonTreeDirectory() throws {
        let missing = try loadError("/nonexistent/policy")
        #expect(missing.description == "/nonexistent/policy: error: no such file or directory")
        try Fixtures.withTemporaryDirectory { dir in
            let e = try loadError(dir.path)
            #expect(e.location?.file == dir.path)
            #expect(e.message.contains("not a policy source tree"))
        }
    }

    @Test func truncatedSELinuxModuleAndGarbageBinaries() throws {
        let good = try Fixtures.examplePolicy().binary
        try Fixtures.withTemporaryDirectory { dir in
            func write(_ name: String, _ bytes: [UInt8]) throws -> String {
                let p = dir.appendingPathComponent(name).path
                try Data(bytes).write(to: URL(fileURLWithPath: p))
                return p
            }
            let truncated = try loadError(try write("truncated", Array(good.prefix(good.count / 2))))
            #expect(truncated.message.hasPrefix("libsepol cannot read the policy"))
            #expect(truncated.location?.file.hasSuffix("truncated") == true)

            // Module magic and SELinux identification string.
            var module = good
            module[0] = 0x8d
            #expect(try loadError(try write("module", module)).message == "a policy module, not a kernel policy")
            var selinux = Array(good.prefix(8)) + Array("SE Linux".utf8) + Array(good.dropFirst(16))
            selinux[4] = 8
            #expect(try loadError(try write("selinux", selinux)).message == "an SELinux policy, not a Xen policy")

            let binaryJunk = try loadError(try write("junk", [0x00, 0xff, 0x13, 0x37, 0x00]))
            #expect(binaryJunk.message.contains("neither a binary Xen policy nor policy.conf"))
            let empty = try loadError(try write("empty", []))
            #expect(empty.location?.file.hasSuffix("empty") == true)
        }
    }

    @Test func realSELinuxPolicyIsRefusedForItsPlatform() throws {
        // A tiny policy compiled for SELinux (not -t Xen).
        let conf = """
            class process
            sid kernel
            class process { fork }
            type t;
            role r;
            role r types t;
            user u roles r;
            sid kernel u:r:t
            """
        try Fixtures.withTemporaryDirectory { dir in
            let confPath = dir.appendingPathComponent("selinux.conf").path
            try conf.write(toFile: confPath, atomically: true, encoding: .utf8)
            let out = dir.appendingPathComponent("selinux.bin").path
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/checkpolicy")
            p.arguments = ["-c", "30", confPath, "-o", out]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            try #require(p.terminationStatus == 0)
            #expect(try loadError(out).message == "an SELinux policy, not a Xen policy")
        }
    }

    @Test func checkpolicyErrorsNameTheSourceFileAndLine() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let copy = dir.appendingPathComponent("tree")
            try FileManager.default.copyItem(atPath: Fixtures.examplePolicyPath, toPath: copy.path)
            let te = copy.appendingPathComponent("modules/isolated.te")
            var text = try String(contentsOf: te, encoding: .utf8)
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
            text += "allow isolated_t no_such_type_t:argo send;\n"
            try text.write(to: te, atomically: true, encoding: .utf8)
            let e = try loadError(copy.path)
            // Named from where the command ran (the tree as given), not from inside the tree.
            #expect(e.location?.file == copy.path + "/modules/isolated.te")
            #expect(e.location?.line == lineCount)
            #expect(e.message.contains("unknown type no_such_type_t"))

            // A policy.conf without #line markers: the conf file itself is named.
            let confPath = dir.appendingPathComponent("bad.conf").path
            try "class xen\nthis is not policy\n".write(toFile: confPath, atomically: true, encoding: .utf8)
            let c = try loadError(confPath)
            #expect(c.location?.file == confPath)
            #expect(c.location?.line == 2)
        }
    }

    @Test func brokenModulesConfAndMissingModule() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let copy = dir.appendingPathComponent("tree")
            try FileManager.default.copyItem(atPath: Fixtures.examplePolicyPath, toPath: copy.path)
            let conf = copy.appendingPathComponent("modules/modules.conf")
            try (try String(contentsOf: conf, encoding: .utf8) + "ghost = on\n").write(to: conf, atomically: true, encoding: .utf8)
            let e = try loadError(copy.path)
            #expect(e.message.contains("module 'ghost' is enabled but has no .te file"))
            try (try String(contentsOf: conf, encoding: .utf8) + "broken line here\n").write(to: conf, atomically: true, encoding: .utf8)
            let e2 = try loadError(copy.path)
            #expect(e2.message.contains("expected 'name = on|off'"))
            #expect(e2.location?.line != nil)
        }
    }

    /// Thousands of truncated and bit-flipped binaries: each loads or fails with an InputError.
    @Test func mutatedBinariesNeverCrash() throws {
        let good = try Fixtures.examplePolicy().binary
        let loader = PolicyLoader(initialSIDNames: [])
        var rng = SplitMix64(seed: 0xA4605)
        var loaded = 0, refused = 0
        for round in 0..<3_000 {
            var bytes = good
            if round % 3 == 0 {
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            } else {
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    bytes[at] ^= UInt8(1 << (rng.next() % 8))
                }
            }
            do {
                let p = try loader.loadBinary(bytes, path: "mutant-\(round)")
                // Whatever libsepol accepts must be usable by the model.
                _ = PolicySummary(p)
                loaded += 1
            } catch {
                #expect(error.location?.file == "mutant-\(round)")
                refused += 1
            }
        }
        #expect(loaded + refused == 3_000)
        #expect(refused > 1_000, "most mutants should be refused")
    }

    /// Regression: a corrupt symbol count made libsepol 3.4's validation pass run for hours
    /// (found by the mutation loop: the boolean table's count with its top byte flipped).
    /// The guard linked around validate_policydb must refuse it at once.
    @Test func corruptSymbolCountIsRefusedQuickly() throws {
        let good = try Fixtures.examplePolicy().binary
        let policy = try Fixtures.examplePolicy()
        let count = UInt32(policy.image.booleans.count)
        // The boolean table opens with (nprim, nel); its first entry is (value, state, length, name).
        var header: Int?
        for b in policy.image.booleans {
            let name = Array(b.name.utf8)
            var at = 20
            while at + name.count <= good.count, header == nil {
                if Array(good[at..<(at + name.count)]) == name
                    && PolicyLoader.littleEndianWord(good, at - 4) == UInt32(name.count)
                    && PolicyLoader.littleEndianWord(good, at - 20) == count
                    && PolicyLoader.littleEndianWord(good, at - 16) == count {
                    header = at - 20
                }
                at += 1
            }
        }
        let offset = try #require(header, "boolean table not found in the example binary")
        var bad = good
        bad[offset + 3] = 0x40
        let before = LibSepol.guardRefusals
        let started = Date()
        #expect(throws: InputError.self) { try PolicyLoader(initialSIDNames: []).loadBinary(bad, path: "gaps") }
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(LibSepol.guardRefusals == before + 1)
    }
}

