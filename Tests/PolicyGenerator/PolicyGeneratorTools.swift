// Running the SELinux userspace tools on generated policies: checkpolicy to compile
// policy.conf text, seinfo to read back what a binary policy contains.

import Foundation

/// A tool exited unsuccessfully; `output` holds what it wrote to stderr (and stdout).
public struct ToolFailure: Error, CustomStringConvertible, Sendable {
    public var tool: String
    public var status: Int32
    public var output: String
    public var description: String { "\(tool) exited with status \(status):\n\(output)" }
}

/// Runs `executable` with `arguments` in `directory`; returns (status, stdout, stderr).
/// Output goes through files, so large outputs cannot block the child.
func runTool(_ executable: String, _ arguments: [String], in directory: URL) throws
    -> (status: Int32, stdout: String, stderr: String)
{
    let outURL = directory.appendingPathComponent("tool.stdout")
    let errURL = directory.appendingPathComponent("tool.stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    defer {
        try? outHandle.close()
        try? errHandle.close()
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = outHandle
    process.standardError = errHandle
    try process.run()
    process.waitUntilExit()
    let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    return (process.terminationStatus, stdout, stderr)
}

/// A fresh private directory, removed after `body` returns.
public func withScratchDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("argus-gen-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

public enum Checkpolicy {
    public static let path = "/usr/bin/checkpolicy"
    /// Policy version written; checkpolicy can only write 24 and 30 for Xen.
    public static let version = 30

    /// Compiles policy.conf text to a binary Xen policy in a temporary directory and
    /// returns its bytes. `mls` adds `-M`. Throws `ToolFailure` with checkpolicy's
    /// messages when the policy does not compile.
    public static func compile(_ conf: String, mls: Bool) throws -> [UInt8] {
        try withScratchDirectory { dir in
            try Data(conf.utf8).write(to: dir.appendingPathComponent("policy.conf"))
            var arguments = ["-t", "Xen", "-c", String(version)]
            if mls { arguments.append("-M") }
            arguments += ["policy.conf", "-o", "policy.bin"]
            let result = try runTool(path, arguments, in: dir)
            guard result.status == 0 else {
                throw ToolFailure(tool: "checkpolicy", status: result.status, output: result.stderr + result.stdout)
            }
            return [UInt8](try Data(contentsOf: dir.appendingPathComponent("policy.bin")))
        }
    }
}

/// seinfo on policy bytes (the `Seinfo` helper in Seinfo.swift takes a file path).
public enum GeneratorSeinfo {
    public static let path = "/usr/bin/seinfo"

    /// Runs `seinfo <policy> <arguments>` on a binary policy and returns its stdout.
    public static func run(policy: [UInt8], _ arguments: [String] = []) throws -> String {
        try withScratchDirectory { dir in
            try Data(policy).write(to: dir.appendingPathComponent("policy.bin"))
            let result = try runTool(path, ["policy.bin"] + arguments, in: dir)
            guard result.status == 0 else {
                throw ToolFailure(tool: "seinfo", status: result.status, output: result.stderr + result.stdout)
            }
            return result.stdout
        }
    }

    /// The statistics block of plain `seinfo` as a dictionary, e.g. "Types" -> 32,
    /// "MLS Constrain" -> 5, "Cond. Expr." -> 2.
    public static func statistics(policy: [UInt8]) throws -> [String: Int] {
        parseStatistics(try run(policy: policy))
    }

    public static func parseStatistics(_ text: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            // Lines hold one or two "Name:   number" cells.
            var rest = Substring(line)
            while let colon = rest.firstIndex(of: ":") {
                let name = rest[..<colon].trimmingCharacters(in: .whitespaces)
                let after = rest[rest.index(after: colon)...].drop(while: { $0 == " " })
                let digits = after.prefix(while: { $0.isNumber })
                guard !digits.isEmpty, let value = Int(digits) else { break }
                result[name] = value
                rest = after.dropFirst(digits.count)
            }
        }
        return result
    }
}

/// The three hypervisor definition files, read from a directory such as the
/// project's `policy/flask`.
public enum FlaskDefinitionFiles {
    /// `$ARGUS_FLASK_DIR` when set, else `policy/flask` in this package.
    public static func defaultDirectory(filePath: String = #filePath) -> URL {
        if let override = ProcessInfo.processInfo.environment["ARGUS_FLASK_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        // .../Tests/TestSupport/<file>.swift -> package root
        return URL(fileURLWithPath: filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("policy/flask", isDirectory: true)
    }

    public static func load(from directory: URL = defaultDirectory()) throws
        -> (securityClasses: String, initialSIDs: String, accessVectors: String)
    {
        func read(_ name: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        return (try read("security_classes"), try read("initial_sids"), try read("access_vectors"))
    }
}
