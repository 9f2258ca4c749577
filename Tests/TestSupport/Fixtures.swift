@_exported import PolicyGenerator
import Flask
import Foundation

/// The project's own example policy and system, compiled once per test process.
public enum Fixtures {
    public static var root: URL { Golden.packageRoot }
    public static var examplePolicyPath: String { root.appendingPathComponent("policy/example").path }
    public static var exampleSystemPath: String { root.appendingPathComponent("examples/system.toml").path }
    public static var flaskDirectory: String { root.appendingPathComponent("policy/flask").path }

    private static let cache = PolicyCache()

    /// The example source tree compiled by m4 + checkpolicy (plain or MLS).
    public static func examplePolicy(mls: Bool = false) throws -> Policy {
        try cache.policy(mls: mls) {
            try PolicyLoader(flaskDirectory: flaskDirectory, mls: mls).load(examplePolicyPath)
        }
    }

    /// The hypervisor definitions' three texts, for the policy generator.
    public static func definitionTexts() throws -> (securityClasses: String, initialSIDs: String, accessVectors: String) {
        func read(_ name: String) throws -> String {
            try String(contentsOfFile: root.appendingPathComponent("policy/flask/\(name)").path, encoding: .utf8)
        }
        return (try read("security_classes"), try read("initial_sids"), try read("access_vectors"))
    }

    /// A fresh temporary directory, removed after `body`.
    public static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        try withScratchDirectory(body)
    }
}

private final class PolicyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var policies: [Bool: Policy] = [:]

    func policy(mls: Bool, _ make: () throws -> Policy) throws -> Policy {
        lock.lock()
        defer { lock.unlock() }
        if let p = policies[mls] { return p }
        let p = try make()
        policies[mls] = p
        return p
    }
}
