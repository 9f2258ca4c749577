import Foundation

/// Drives the real tool chain for policy sources: m4 over a Xen-layout tree, then
/// `checkpolicy -t Xen`. Argus never compiles policy text itself.
public enum PolicyCompiler {
    /// The policy version written for Xen. checkpolicy 3.4 writes only 24 and 30 for the
    /// Xen target, and Xen's own build picks the highest its hypervisor list allows (30).
    public static let xenPolicyVersion = 30

    /// Compiles policy.conf text with `checkpolicy -t Xen` and returns the binary policy.
    /// `file` names the text in error messages when it carries no `#line` markers.
    public static func compileConf(_ text: String, file: String, mls: Bool? = nil) throws(InputError) -> [UInt8] {
        let workdir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: workdir) }
        let conf = workdir.appendingPathComponent("policy.conf")
        let out = workdir.appendingPathComponent("policy.bin")
        do { try Data(text.utf8).write(to: conf) } catch {
            throw InputError("cannot write a temporary file: \(error.localizedDescription)")
        }
        let wantsMLS = mls ?? text.contains("\nsensitivity ")
        var args = ["-t", "Xen", "-c", String(xenPolicyVersion)]
        if wantsMLS { args.append("-M") }
        args += [conf.path, "-o", out.path]
        let result = try run(tool: "checkpolicy", args)
        guard result.status == 0, let bytes = FileManager.default.contents(atPath: out.path) else {
            throw checkpolicyError(result.stderr + result.stdout, confPath: conf.path, file: file)
        }
        return [UInt8](bytes)
    }

    /// Runs m4 over the sections of a Xen-layout policy tree, in the order Xen's build uses.
    /// Returns the policy.conf text with `#line` markers relative to `tree`.
    public static func preprocessTree(_ tree: SourceTree, mls: Bool) throws(InputError) -> String {
        var args = ["-D", "self_contained_policy", "-s", "-D", "mls_num_sens=16", "-D", "mls_num_cats=256"]
        if mls { args += ["-D", "enable_mls"] }
        args += try tree.sections()
        let result = try run(tool: "m4", args, in: tree.root)
        guard result.status == 0 else {
            let line = result.stderr.split(separator: "\n").first.map(String.init) ?? "m4 failed"
            throw InputError("m4: \(line)", file: tree.root.path)
        }
        return result.stdout
    }

    // MARK: running tools

    struct ToolResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(tool: String, _ args: [String], in directory: URL? = nil) throws(InputError) -> ToolResult {
        guard let path = locate(tool) else {
            throw InputError("\(tool) is not installed (run 'make deps' or apt-get install \(tool))")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        if let directory { process.currentDirectoryURL = directory }
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw InputError("cannot run \(tool): \(error.localizedDescription)")
        }
        // Read both pipes concurrently so that neither fills up and blocks the tool.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ToolResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

    static func locate(_ tool: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for dir in dirs + ["/usr/bin", "/usr/sbin"] {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func temporaryDirectory() throws(InputError) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("argus-\(UUID().uuidString)")
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw InputError("cannot create a temporary directory: \(error.localizedDescription)")
        }
        return url
    }

    /// Turns checkpolicy's first complaint into one error line with the original file and line.
    ///
    /// checkpolicy reports `FILE:LINE:ERROR 'what' at token 'tok' on line N:`, where FILE and
    /// LINE already follow m4's `#line` markers when there are any.
    static func checkpolicyError(_ output: String, confPath: String, file: String) -> InputError {
        for raw in output.split(separator: "\n") {
            let line = String(raw)
            guard let errRange = line.range(of: ":ERROR ") else { continue }
            let head = line[..<errRange.lowerBound]
            var message = String(line[errRange.upperBound...])
            if let on = message.range(of: " on line ", options: .backwards) { message = String(message[..<on.lowerBound]) }
            message = message.replacingOccurrences(of: "'", with: "")
            if let colon = head.lastIndex(of: ":"), let number = Int(head[head.index(after: colon)...]) {
                var source = String(head[..<colon])
                if source == confPath { source = file }
                return InputError("checkpolicy: \(message)", file: source, line: number)
            }
            return InputError("checkpolicy: \(message)", file: file)
        }
        let first = output.split(separator: "\n").first(where: { !$0.hasPrefix("checkpolicy:  loading") })
        let text = first.map { String($0).replacingOccurrences(of: confPath, with: file) } ?? "checkpolicy failed"
        return InputError("checkpolicy: \(text.trimmingCharacters(in: .whitespaces))", file: file)
    }
}
