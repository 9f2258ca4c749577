import Foundation

/// What a policy source tree may do when m4 runs it (docs/POLICY-SOURCES.md).
///
/// m4 reads `prelude` before any file of the policy. It replaces every builtin that reaches
/// outside the text m4 is given: running commands (`syscmd`, `esyscmd`, `sysval`), reading
/// other files (`include`, `sinclude`), writing files (`debugfile`, `maketemp`, `mkstemp`), and
/// `builtin`, which would call any of them by name after they are gone. Each becomes a macro
/// that stops m4 with the file and line where the policy used it. `defn` of a replaced name
/// yields that macro's text, never the builtin, so a policy cannot get them back. The files
/// of the tree reach m4 on its command line, in Xen's order (`SourceTree.sections`).
///
/// Everything else m4 offers stays (define, ifdef, ifelse, changequote, divert, eval, regexp,
/// patsubst, ...): Xen's and refpolicy's support macros use them. Runaway expansion is
/// stopped by `ToolLimits` (time, memory, output), not here.
public enum SourceSandbox {
    /// Builtins removed from m4 before the policy's files are read.
    public static let removedBuiltins = [
        "syscmd", "esyscmd", "sysval", "include", "sinclude", "debugfile", "maketemp", "mkstemp", "builtin",
    ]

    /// The marker m4 prints (through `errprint`) when the policy uses a removed builtin.
    static let marker = "argus-sandbox:"

    public static let prelude: String = {
        // errprint and m4exit are kept under other names first: a policy that redefines them
        // cannot silence a refusal.
        var text = """
            divert(-1)
            define(`argus_errprint', defn(`errprint'))
            define(`argus_m4exit', defn(`m4exit'))
            define(`argus_refuse_builtin', `argus_errprint(`\(marker)'__file__:__line__: `$1 is not available to policy sources
            ')argus_m4exit(`1')')

            """
        for name in removedBuiltins {
            text += "undefine(`\(name)')\ndefine(`\(name)', `argus_refuse_builtin(`\(name)')')\n"
        }
        return text + "divert(0)dnl\n"
    }()

    /// One error line from m4's stderr: the sandbox's refusal, or m4's own first complaint
    /// (`m4:FILE:LINE: message`), with FILE named from where the command ran.
    static func m4Error(_ stderr: String, status: Int32, root: String) -> InputError {
        // m4 names itself as it was run (/usr/bin/m4:...): keep the part from "m4:" on.
        let lines = stderr.split(separator: "\n").map { line -> String in
            if line.hasPrefix("/"), let r = line.range(of: "m4:") { return String(line[r.lowerBound...]) }
            return String(line)
        }
        if let refusal = lines.first(where: { $0.hasPrefix(marker) }) {
            return located(String(refusal.dropFirst(marker.count)), root: root, prefix: "")
        }
        if let first = lines.first(where: { $0.hasPrefix("m4:") }) {
            return located(String(first.dropFirst(3)), root: root, prefix: "m4: ")
        }
        if let first = lines.first(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            return InputError("m4: " + oneLine(first), file: root)
        }
        if status > 128 {
            return InputError("m4 was stopped by signal \(status - 128) (a time or memory limit; see --compile-memory)", file: root)
        }
        return InputError("m4 failed with status \(status)", file: root)
    }

    /// `FILE:LINE: message` → an error at FILE (relative to the tree) and LINE.
    private static func located(_ text: String, root: String, prefix: String) -> InputError {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 3, let line = Int(parts[1]) {
            let message = prefix + parts[2].trimmingCharacters(in: .whitespaces)
            var file = parts[0]
            if !file.hasPrefix("/") { file = ((root as NSString).appendingPathComponent(file) as NSString).standardizingPath }
            return InputError(Self.oneLine(message), file: file, line: line)
        }
        return InputError(Self.oneLine(prefix + text.trimmingCharacters(in: .whitespaces)), file: root)
    }

    /// Control characters escaped, so that a diagnostic stays one line.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(300) {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += "\\x" + String(format: "%02X", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
