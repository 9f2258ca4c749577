import Flask
import Foundation
import PolicyGenerator

#if canImport(Glibc)
import Glibc
#endif

/// `argus audit` as a fresh process: issue #11's "cold audit of the example system from a
/// binary policy: under 8 ms whole process". Measured next to what every process of the same
/// binary pays (`argus --version`) and what any static Swift program pays (a hello world
/// compiled here with the same toolchain and `-O -static-stdlib`), the three interleaved run
/// by run so that a busy machine slows them alike.
extension PolicyBenchmarks {
    static let coldRuns = 21

    static func coldAudit(report: inout Report) throws {
        let argus = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("argus").path
        guard FileManager.default.isExecutableFile(atPath: argus) else {
            print("cold audit: skipped (no argus binary beside the benchmarks: build it with -c release)")
            return
        }
        try withScratchDirectory { dir in
            let loader = try PolicyLoader(flaskDirectory: flaskPath)
            let policyFile = dir.appendingPathComponent("example.policy").path
            try Data(try loader.load(examplePath).binary).write(to: URL(fileURLWithPath: policyFile))
            var toml = "[boot]\ncmdline = \"argo=1,mac-permissive=1\"\n"
            let labels = ["system_u:system_r:dom0_t", "system_u:system_r:netvm_t", "system_u:system_r:uivm_t",
                          "tenant_a_u:vm_r:tenant_a_t", "tenant_a_u:vm_r:tenant_a_t", "tenant_b_u:vm_r:tenant_b_t",
                          "tenant_b_u:vm_r:tenant_b_t", "system_u:system_r:isolated_t", "system_u:system_r:isolated_t",
                          "system_u:system_r:dm_dom_t"]
            for (i, label) in labels.enumerated() { toml += "[[domain]]\nname = \"d\(i)\"\ndomid = \(i)\nlabel = \"\(label)\"\n" }
            let system = dir.appendingPathComponent("system.toml").path
            try toml.write(toFile: system, atomically: true, encoding: .utf8)
            let hello = staticHelloWorld(in: dir)

            // The example system as shipped (examples/system.toml: it names its Xen, so nothing is
            // inferred), and the 10-domain file above, which names none (the Xen is inferred from
            // the policy's definitions, the dearer path).
            let shipped = root.appendingPathComponent("examples/system.toml").path
            var audit: [Double] = [], example: [Double] = [], version: [Double] = [], floor: [Double] = []
            for _ in 0..<coldRuns {
                example.append(try Clock.seconds { try run(argus, ["audit", policyFile, "--system", shipped, "--format", "json"]) })
                audit.append(try Clock.seconds { try run(argus, ["audit", policyFile, "--system", system, "--format", "json"]) })
                version.append(try Clock.seconds { try run(argus, ["--version"]) })
                if let hello { floor.append(try Clock.seconds { try run(hello, []) }) }
            }
            var baseline = "`argus --version` \(minMedian(version))"
            baseline += floor.isEmpty ? "; static hello world not built (no swiftc on PATH)"
                : "; static Swift hello world (Foundation, -O -static-stdlib) \(minMedian(floor))"
            var ratio: Double?
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/sesearch") {
                let theirs = try Clock.median(runs: 5) { try run("/usr/bin/sesearch", ["-A", "-c", "argo", policyFile]) }
                baseline += String(format: "; `sesearch -A -c argo` alone %.0f ms", theirs * 1e3)
                ratio = theirs / median(audit)
            }
            let linking = linksSwiftRuntimeDynamically(argus)
                ? "dynamic binary (libswift*.so; `make static` builds the installed one)"
                : "static binary, as `make install` ships it"
            report.add("cold argus audit of examples/system.toml (binary policy, its [xen] named, process wall; \(linking); min / median of \(coldRuns))",
                       minMedian(example), baseline: baseline, ratio: ratio.map { $0 * median(audit) / median(example) })
            report.add("cold argus audit, 10 domains, no [xen] (the Xen inferred from the policy)",
                       minMedian(audit), baseline: "the same run's baselines", ratio: ratio)
        }
    }

    static func median(_ times: [Double]) -> Double { times.sorted()[times.count / 2] }

    static func minMedian(_ times: [Double]) -> String {
        String(format: "%.2f ms / %.2f ms", times.min()! * 1e3, median(times) * 1e3)
    }

    /// Whether `binary` names libswiftCore.so among its needed libraries: the dynamic string
    /// table sits at the front of the file, so its first 8 MiB are enough.
    static func linksSwiftRuntimeDynamically(_ binary: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: binary), let head = try? handle.read(upToCount: 8 << 20) else { return false }
        try? handle.close()
        return head.range(of: Data("libswiftCore.so".utf8)) != nil
    }

    /// A static Swift hello world that uses Foundation, built with the `swiftc` on PATH; nil
    /// without one. The floor under any cold Swift command of this toolchain.
    static func staticHelloWorld(in dir: URL) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        guard let swiftc = path.split(separator: ":").map({ "\($0)/swiftc" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return nil }
        let source = dir.appendingPathComponent("hello.swift").path
        let binary = dir.appendingPathComponent("hello").path
        let program = "import Foundation\nprint(\"hello\", FileManager.default.fileExists(atPath: CommandLine.arguments[0]))\n"
        guard (try? program.write(toFile: source, atomically: true, encoding: .utf8)) != nil,
              (try? run(swiftc, ["-O", "-static-stdlib", source, "-o", binary])) != nil else { return nil }
        return binary
    }
}

extension Clock {
    /// The wall time of one run of `body`, in seconds.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = now()
        try body()
        return now() - start
    }
}
