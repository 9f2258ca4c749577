import CommandTestSupport
import Foundation
import Testing
import ArgusCommands
import TestSupport

/// Every file shipped under examples/ runs through the CLI with its policy and system, as a
/// user would run it (issue 13: basic.yaml failed against policy/example as shipped).
@Suite struct ShippedExampleTests {
    static let examples = Fixtures.root.appendingPathComponent("examples")

    /// How each shipped file is run: the arguments, and the exit statuses it may end with.
    static func invocation(for relative: String) -> (arguments: [String], statuses: Set<Int32>)? {
        let path = examples.appendingPathComponent(relative).path
        let policy = Fixtures.examplePolicyPath
        let system = Fixtures.exampleSystemPath
        let scenarioSystem = examples.appendingPathComponent("scenarios/system.toml").path
        switch relative {
        case "system.toml", "scenarios/system.toml", "scenarios/openxt/system.toml":
            return (["audit", policy, "--system", path, "--format", "json"], [0])
        case _ where relative.hasPrefix("scenarios/openxt/") && relative.hasSuffix(".yaml"):
            // OpenXT's Xen (the port firewall): the system file next to the scenario names it.
            return (["simulate", policy, "--system", examples.appendingPathComponent("scenarios/openxt/system.toml").path,
                     "--scenario", path, "--format", "json"], [0])
        case _ where relative.hasPrefix("scenarios/with-policy/") && relative.hasSuffix(".yaml"),
             _ where relative.hasPrefix("logs/") && relative.hasSuffix(".yaml"):
            return (["simulate", policy, "--system", system, "--scenario", path, "--format", "json"], [0])
        case _ where relative.hasPrefix("scenarios/") && relative.hasSuffix(".yaml"):
            return (["simulate", policy, "--system", scenarioSystem, "--scenario", path, "--format", "json"], [0])
        case _ where relative.hasPrefix("logs/") && relative.hasSuffix(".log"):
            // The example log holds denials on purpose: findings, exit 1.
            return (["explain-log", policy, "--system", system, path,
                     "--rules", examples.appendingPathComponent("logs/never-rules.toml").path], [1])
        case "logs/never-rules.toml":
            return (["explain-log", policy, "--system", system, examples.appendingPathComponent("logs/example-dmesg.log").path,
                     "--rules", path], [1])
        case "rules/universe.toml":
            // Without a system file: every valid label; the example policy breaks it on purpose.
            return (["check", policy, "--rules", path, "--xen", "head"], [1])
        case "rules/openxt-services.toml":
            // Port-level rules over the OpenXT example (one deliberate finding: exit 1).
            return (["check", Fixtures.root.appendingPathComponent("policy/openxt").path, "--system",
                     examples.appendingPathComponent("openxt/system.toml").path, "--rules", path], [1])
        case _ where relative.hasPrefix("rules/") && relative.hasSuffix(".toml"):
            return (["check", policy, "--system", system, "--rules", path], [0, 1])
        case "openxt/dom0-selinux/policy.conf", "openxt/dom0-selinux/file_contexts":
            // The guest side: a dom0's own SELinux policy over the Argo devices.
            let dir = examples.appendingPathComponent("openxt/dom0-selinux")
            return (["guest-policy", dir.appendingPathComponent("policy.conf").path,
                     "--file-contexts", dir.appendingPathComponent("file_contexts").path], [0])
        case "openxt/system.toml":
            return (["audit", Fixtures.root.appendingPathComponent("policy/openxt").path, "--system", path, "--services"], [0])
        case "host/system.toml":
            return (["audit", policy, "--system", path, "--format", "json"], [0])
        case _ where relative.hasPrefix("host/vms/") && relative.hasSuffix(".cfg"):
            // Read through examples/host/system.toml (xl_dir).
            return (["audit", policy, "--system", examples.appendingPathComponent("host/system.toml").path], [0])
        case "host/xl-list.txt", "host/xl-info.txt":
            return (["audit", policy, "--system-from-xl-list", examples.appendingPathComponent("host/xl-list.txt").path,
                     "--xl-info", examples.appendingPathComponent("host/xl-info.txt").path, "--format", "json"], [0])
        case _ where relative.hasPrefix("vms/") && relative.hasSuffix(".cfg"):
            // Read through examples/system.toml, which names it.
            return (["audit", policy, "--system", system], [0])
        default:
            return nil
        }
    }

    static var files: [String] {
        guard let walker = FileManager.default.enumerator(atPath: examples.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: examples.appendingPathComponent(name).path, isDirectory: &isDirectory)
            return exists && !isDirectory.boolValue && !name.hasPrefix("ci/")
        }.sorted()
    }

    @Test func corpusIsNotEmptyAndEveryFileHasARun() {
        #expect(Self.files.count >= 10, "examples missing at \(Self.examples.path)")
        for file in Self.files { #expect(Self.invocation(for: file) != nil, "no run known for examples/\(file)") }
    }

    @Test(arguments: ShippedExampleTests.files)
    func shippedExampleRuns(file: String) throws {
        let run = try #require(Self.invocation(for: file))
        let r = runArgus(run.arguments)
        #expect(run.statuses.contains(r.status), "examples/\(file): exit \(r.status): \(r.err)")
        if file.hasSuffix(".yaml") {
            #expect(r.out.contains(#""expectation_mismatches":0"#), "examples/\(file): \(r.out)")
        }
    }
}
