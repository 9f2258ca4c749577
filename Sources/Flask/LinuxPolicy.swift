import Foundation
import Sepol

/// Loads a Linux SELinux policy (the policy inside a guest), next to `PolicyLoader`'s Xen path.
///
/// `PolicyLoader` refuses anything but a Xen policy, and must keep doing so: a Linux policy
/// fed to the Xen audit would be read with the wrong classes and initial SIDs. This path is the
/// mirror image: it accepts only `target_platform == selinux` binaries (any kernel policy
/// version libsepol reads) and policy.conf text compiled with `checkpolicy` for the Linux
/// target. Initial SIDs carry no names here (the kernel's `initial_sids` list is not needed:
/// guest decisions are between process and device contexts).
public enum LinuxPolicyLoader {
    /// Reads a binary Linux policy or compiles a policy.conf (checkpolicy, Linux target, with
    /// `-M` when the text declares sensitivities).
    public static func load(_ path: String) throws(InputError) -> Policy {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError("no such file or directory", file: path)
        }
        guard !isDirectory.boolValue else {
            throw InputError("a directory: give a binary SELinux policy or a policy.conf", file: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError("cannot read file", file: path) }
        let bytes = [UInt8](data)
        let magic = PolicyLoader.littleEndianWord(bytes, 0)
        if magic == LibSepol.policyMagic + 1 { throw InputError("a policy module, not a kernel policy", file: path) }
        if magic == LibSepol.policyMagic { return try loadBinary(bytes, path: path) }
        guard let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
            throw InputError("not a policy: neither a binary SELinux policy nor policy.conf text", file: path)
        }
        let binary = try PolicyCompiler.compileLinuxConf(text, file: path)
        let image = try readImage(binary, path: path)
        return Policy(image: image, origin: .policyConf(path: path), binary: binary, initialSIDNames: [:],
                      ruleOrigins: RuleOriginIndex(scanning: text, file: path))
    }

    /// Reads a binary policy, refusing a Xen one.
    public static func loadBinary(_ bytes: [UInt8], path: String) throws(InputError) -> Policy {
        Policy(image: try readImage(bytes, path: path), origin: .binary(path: path), binary: bytes, initialSIDNames: [:])
    }

    private static func readImage(_ bytes: [UInt8], path: String) throws(InputError) -> PolicyImage {
        let image: PolicyImage
        do { image = try LibSepol.readPolicy(bytes) } catch {
            throw InputError("libsepol cannot read the policy: \(error.message)", file: path)
        }
        guard image.platform == .selinux else { throw InputError("a Xen policy, not an SELinux policy", file: path) }
        return image
    }
}

extension PolicyCompiler {
    /// Compiles policy.conf text with `checkpolicy` for the Linux target (its default) at the
    /// highest policy version it writes, `-M` when `mls` (default: the text has sensitivities).
    public static func compileLinuxConf(_ text: String, file: String, mls: Bool? = nil) throws(InputError) -> [UInt8] {
        let workdir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: workdir) }
        let conf = workdir.appendingPathComponent("policy.conf")
        let out = workdir.appendingPathComponent("policy.bin")
        do { try Data(text.utf8).write(to: conf) } catch {
            throw InputError("cannot write a temporary file: \(error.localizedDescription)")
        }
        let wantsMLS = mls ?? (text.hasPrefix("sensitivity ") || text.contains("\nsensitivity "))
        var args = ["-t", "selinux"]
        if wantsMLS { args.append("-M") }
        args += [conf.path, "-o", out.path]
        let result = try run(tool: "checkpolicy", args)
        guard result.status == 0, let bytes = FileManager.default.contents(atPath: out.path) else {
            throw checkpolicyError(result.stderr + result.stdout, confPath: conf.path, file: file)
        }
        return [UInt8](bytes)
    }
}
