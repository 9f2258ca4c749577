import Foundation
import TestSupport

/// Runs programs for the tests of what ships around the binary (install, package, CI script).
enum Programs {
    /// The debug `argus` that `swift build --build-tests` builds beside the tests.
    static var argus: URL { Golden.packageRoot.appendingPathComponent(".build/debug/argus") }
    /// swift-argument-parser's man page generator (`swift build --product generate-manual`; `make test` builds it).
    static var generateManual: URL { Golden.packageRoot.appendingPathComponent(".build/debug/generate-manual") }
    static var hasGenerateManual: Bool { FileManager.default.isExecutableFile(atPath: generateManual.path) }

    struct Outcome {
        var status: Int32
        var out: String
        var err: String
    }

    /// Runs `executable` with `arguments` in `directory`; `environment` replaces the process's own
    /// when given (with `extraEnvironment` added to either). Output goes through files, so a
    /// chatty program cannot block on a full pipe.
    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                    environment: [String: String]? = nil, extraEnvironment: [String: String] = [:]) throws -> Outcome {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("argus-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = (environment ?? ProcessInfo.processInfo.environment).merging(extraEnvironment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Outcome(status: process.terminationStatus,
                       out: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                       err: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// `/bin/sh -c script`, for git and friends.
    @discardableResult
    static func shell(_ script: String, in directory: URL) throws -> Outcome {
        try run("/bin/sh", ["-c", script], in: directory)
    }

    /// Every regular file under `directory`, relative to it, sorted.
    static func files(under directory: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        var found: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(path).path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                found.append(path)
            }
        }
        return found.sorted()
    }
}
