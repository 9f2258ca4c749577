import Foundation

/// Drives the real tool chain for policy sources: m4 over a Xen-layout tree, then
/// `checkpolicy -t Xen`. Argus never compiles policy text itself.
public enum PolicyCompiler {
    /// The policy version written for Xen. checkpolicy 3.4 writes only 24 and 30 for the
    /// Xen target, and Xen's own build picks the highest its hypervisor list allows (30).
    public static let xenPolicyVersion = 30

    /// Compiles policy.conf text with `checkpolicy -t Xen` and returns the binary policy.
    /// `file` names the text in error messages when it carries no `#line` markers; relative
    /// `#line` paths are resolved against `sourceRoot` (the tree as the user named it).
    public static func compileConf(
        _ text: String, file: String, mls: Bool? = nil, sourceRoot: String? = nil, limits: ToolLimits = ToolLimits()
    ) throws(InputError) -> [UInt8] {
        let workdir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: workdir) }
        let conf = workdir.appendingPathComponent("policy.conf")
        let out = workdir.appendingPathComponent("policy.bin")
        let unixText = unixLineEnds(text)
        do { try Data(unixText.utf8).write(to: conf) } catch {
            throw InputError("cannot write a temporary file: \(error.localizedDescription)")
        }
        let wantsMLS = mls ?? unixText.contains("\nsensitivity ")
        var args = ["-t", "Xen", "-c", String(xenPolicyVersion)]
        if wantsMLS { args.append("-M") }
        args += [conf.path, "-o", out.path]
        let result = try run(tool: "checkpolicy", args, file: file, limits: limits)
        guard result.status == 0, let bytes = FileManager.default.contents(atPath: out.path) else {
            throw checkpolicyError(result.stderr + result.stdout, confPath: conf.path, file: file, sourceRoot: sourceRoot)
        }
        return [UInt8](bytes)
    }

    /// Runs m4 over the sections of a Xen-layout policy tree, in the order Xen's build uses.
    /// Returns the policy.conf text with `#line` markers relative to `tree`.
    ///
    /// m4 first reads a prelude (`SourceSandbox`) that removes the builtins that reach outside
    /// the tree (shell commands, files, temporary files, `builtin`), then the policy's files.
    public static func preprocessTree(
        _ tree: SourceTree, mls: Bool, displayRoot: String? = nil, limits: ToolLimits = ToolLimits()
    ) throws(InputError) -> String {
        let shown = displayRoot ?? tree.root.path
        let workdir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: workdir) }
        let prelude = workdir.appendingPathComponent("argus-prelude.m4")
        do { try Data(SourceSandbox.prelude.utf8).write(to: prelude) } catch {
            throw InputError("cannot write a temporary file: \(error.localizedDescription)")
        }
        var args = ["-D", "self_contained_policy", "-s", "-D", "mls_num_sens=16", "-D", "mls_num_cats=256"]
        if mls { args += ["-D", "enable_mls"] }
        args.append(prelude.path)
        args += try tree.sections()
        let result = try run(tool: "m4", args, in: tree.root, file: shown, limits: limits)
        guard result.status == 0 else {
            throw SourceSandbox.m4Error(result.stderr, status: result.status, root: shown)
        }
        return unixLineEnds(result.stdout)
    }

    /// CRLF line ends as LF (the same line numbers): checkpolicy's scanner knows no carriage returns.
    public static func unixLineEnds(_ text: String) -> String {
        text.contains("\r\n") ? text.replacingOccurrences(of: "\r\n", with: "\n") : text
    }

    // MARK: running tools

    struct ToolResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(
        tool: String, _ args: [String], in directory: URL? = nil, file: String? = nil, limits: ToolLimits = ToolLimits()
    ) throws(InputError) -> ToolResult {
        guard let path = locate(tool) else {
            throw InputError("\(tool) is not installed (run 'make deps' or apt-get install \(tool))")
        }
        func fail(_ message: String) -> InputError {
            file.map { InputError(message, file: $0) } ?? InputError(message)
        }
        do {
            let r = try ToolRunner.run(path, args, in: directory, limits: limits)
            return ToolResult(
                status: r.status, stdout: String(decoding: r.stdout, as: UTF8.self), stderr: String(decoding: r.stderr, as: UTF8.self))
        } catch {
            switch error {
            case .cannotStart(let why): throw fail("cannot run \(tool): \(why)")
            case .timedOut:
                throw fail("\(tool) did not finish within \(formatSeconds(limits.seconds)) s (stopped; see --compile-timeout)")
            case .outputTooLarge:
                throw fail("\(tool) wrote more than \(limits.outputBytes >> 20) MiB (stopped: a macro that expands without end?)")
            }
        }
    }

    private static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(s)
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
    static func checkpolicyError(_ output: String, confPath: String, file: String, sourceRoot: String? = nil) -> InputError {
        for raw in output.split(separator: "\n") {
            let line = String(raw)
            guard let errRange = line.range(of: ":ERROR ") else { continue }
            let head = line[..<errRange.lowerBound]
            var message = String(line[errRange.upperBound...])
            if let on = message.range(of: " on line ", options: .backwards) { message = String(message[..<on.lowerBound]) }
            message = message.replacingOccurrences(of: "'", with: "")
            if let colon = head.lastIndex(of: ":"), let number = Int(head[head.index(after: colon)...]) {
                var source = String(head[..<colon])
                if source == confPath {
                    source = file
                } else if let sourceRoot, !source.hasPrefix("/") {
                    // #line paths are relative to the tree: name them from where the command ran.
                    source = ((sourceRoot as NSString).appendingPathComponent(source) as NSString).standardizingPath
                }
                return InputError("checkpolicy: \(message)", file: source, line: number)
            }
            return InputError("checkpolicy: \(message)", file: file)
        }
        let first = output.split(separator: "\n").first(where: { !$0.hasPrefix("checkpolicy:  loading") })
        let text = first.map { String($0).replacingOccurrences(of: confPath, with: file) } ?? "checkpolicy failed"
        return InputError("checkpolicy: \(text.trimmingCharacters(in: .whitespaces))", file: file)
    }
}
