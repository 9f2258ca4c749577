import CSELinux
import Flask
import Foundation

// The only Swift file that calls libselinux. Everything it returns is a plain value; C
// strings are freed before it returns.

/// File-context labelling with libselinux, the reference implementation of `file_contexts`
/// matching (regular expressions, `-c` file types, most specific entry wins).
public enum FileContexts {
    /// The file type an entry must match, as a `stat` mode.
    public enum FileKind: Sendable {
        case characterDevice, regularFile

        var mode: UInt32 { self == .characterDevice ? argus_mode_character_device() : argus_mode_regular_file() }
    }

    /// Looks each path up in the file_contexts at `file` (`selabel_open(SELABEL_CTX_FILE)` on
    /// exactly that file, then `selabel_lookup`). A path no entry labels, or that an entry
    /// labels `<<none>>`, gives nil.
    public static func lookUp(_ paths: [String], in file: String, as kind: FileKind = .characterDevice) throws(InputError) -> [String?] {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw InputError("cannot read file_contexts", file: file)
        }
        messageLock.lock()
        defer { messageLock.unlock() }
        argus_selinux_capture_messages()
        guard let handle = argus_selabel_open_file_contexts(file) else {
            throw messageError(file, fallback: "libselinux cannot load the file contexts")
        }
        defer { selabel_close(handle) }
        var labels: [String?] = []
        for path in paths {
            var context: UnsafeMutablePointer<CChar>?
            if argus_selabel_lookup_mode(handle, path, kind.mode, &context) == 0, let context {
                labels.append(String(cString: context))
                freecon(context)
            } else if argus_errno() == ENOENT {
                // libselinux compiles regular expressions at lookup time and gives up on a bad
                // one with ENOENT, after logging it: that is bad input, not "no entry".
                if argus_selinux_first_message().pointee != 0 { throw messageError(file, fallback: "libselinux cannot match \(path)") }
                labels.append(nil)
            } else {
                throw InputError("libselinux cannot look up \(path): \(String(cString: strerror(argus_errno())))", file: file)
            }
        }
        return labels
    }

    /// One line from libselinux's first complaint, with the file_contexts line when it names one
    /// (`… line N …`).
    static func messageError(_ file: String, fallback: String) -> InputError {
        let raw = String(cString: argus_selinux_first_message()).trimmingCharacters(in: .whitespacesAndNewlines)
        let text = raw.isEmpty ? fallback : raw.replacingOccurrences(of: file + ":", with: "")
            .split(whereSeparator: \.isNewline).first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? fallback
        var line: Int?
        if let r = text.range(of: "line ") {
            line = Int(text[r.upperBound...].prefix { $0.isNumber })
        }
        return InputError("libselinux: \(text)", file: file, line: line)
    }
}

/// libselinux keeps its log callback and our message buffer process-wide.
private let messageLock = NSLock()

/// The running kernel's security server, through libselinux (`is_selinux_enabled`,
/// `security_compute_av`, `getfilecon`). Never `selinux_check_access`: it answers "allowed"
/// whenever SELinux is off.
public struct LibSELinuxKernel: KernelSecurityServer {
    public init() {}

    public var isEnabled: Bool { is_selinux_enabled() == 1 }

    public func computeAccess(source: String, target: String) throws(KernelQueryError) -> KernelDecision {
        var out = argus_selinux_av()
        let rc = argus_security_compute_av(source, target, "chr_file", &out)
        guard rc == 0 else {
            throw KernelQueryError(message: "security_compute_av(\(source), \(target), chr_file): \(String(cString: strerror(argus_errno())))")
        }
        var allowed: ArgoDevicePermissions = []
        for (name, permission) in ArgoDevicePermissions.names {
            let bit = argus_kernel_permission_bit("chr_file", name)
            if bit != 0 && out.allowed & bit != 0 { allowed.insert(permission) }
        }
        return KernelDecision(allowed: allowed, permissive: out.flags & argus_avd_flags_permissive() != 0)
    }

    public func fileContext(of path: String) throws(KernelQueryError) -> String {
        var context: UnsafeMutablePointer<CChar>?
        guard getfilecon(path, &context) >= 0, let context else {
            throw KernelQueryError(message: "getfilecon(\(path)): \(String(cString: strerror(argus_errno())))")
        }
        defer { freecon(context) }
        return String(cString: context)
    }
}
