import Flask
import Foundation
import XenProfile

/// What Argus reads from the output of `xl info` pasted from a host: `xen_version`,
/// `xen_commandline` and `xen_caps` (which names the architecture). `xl info` prints no XSM
/// line (tools/xl/xl_info.c), so the XSM build is never read from it.
public struct XLInfo: Sendable, Equatable {
    public var version: XenVersion
    /// As printed: `4.16.3`, `4.22-unstable`, `4.21.1-pre`.
    public var versionText: String
    public var commandLine: String?
    public var arch: XenArch?
    public var path: String

    public static func load(_ path: String) throws(InputError) -> XLInfo {
        // Bounded and decoded like every other input (a FIFO or /dev/zero is refused, not read).
        let text = try TextInput.decode(Data(try TOMLDocument.readBytes(path)), file: path)
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(InputError) -> XLInfo {
        var fields: [String: (value: String, line: Int)] = [:]
        // CRLF pasted output reads like LF (a CR left in xen_commandline would turn argo=1 off).
        for (n, raw) in TextInput.lines(text).enumerated() {
            if let bad = raw.unicodeScalars.firstIndex(where: { TOMLDocument.isControl($0) && $0 != "\t" }) {
                throw InputError("control character \(TOMLDocument.codePoint(raw.unicodeScalars[bad])) in xl info output",
                                 at: SourceLocation(file: path, line: n + 1, column: raw.unicodeScalars.distance(from: raw.startIndex, to: bad) + 1))
            }
            guard let colon = raw.firstIndex(of: ":") else { continue }
            let key = raw[..<colon].trimmingCharacters(in: .whitespaces)
            guard ["xen_version", "xen_commandline", "xen_caps"].contains(key), fields[key] == nil else { continue }
            fields[key] = (raw[raw.index(after: colon)...].trimmingCharacters(in: .whitespaces), n + 1)
        }
        guard let (versionText, line) = fields["xen_version"] else {
            throw InputError("no 'xen_version' line (is this the output of 'xl info'?)", file: path)
        }
        guard let version = Self.xenVersion(versionText) else {
            throw InputError("xen_version '\(versionText)' is not a Xen with Argo (\(XenVersion.first) to \(XenVersion.newestRelease), or a newer development version)",
                             file: path, line: line)
        }
        var arch: XenArch?
        if let caps = fields["xen_caps"]?.value {
            if caps.contains("x86") { arch = .x86 } else if caps.contains("aarch64") || caps.contains("armv7") { arch = .arm }
        }
        return XLInfo(version: version, versionText: versionText, commandLine: fields["xen_commandline"]?.value, arch: arch, path: path)
    }

    /// `4.16.3` is that release. xl prints `xen_extra` after the minor: `-unstable` is a
    /// build of upstream's development branch (head); `-rc` or `-pre` a branch's development
    /// tree: its newest release when the branch has releases (a stable branch), else head.
    public static func xenVersion(_ text: String) -> XenVersion? {
        if text.hasSuffix("-unstable") { return .head }
        let numeric = text.prefix { $0.isNumber || $0 == "." }
        let parts = numeric.split(separator: ".").compactMap { Int($0) }
        guard parts.count >= 2 else { return nil }
        if parts.count >= 3, numeric.count == text.count {
            let v = XenVersion.release(major: parts[0], minor: parts[1], patch: parts[2])
            return v.isKnown ? v : (v > XenVersion.newestRelease ? .head : nil)
        }
        let branch = XenVersion.releases.filter { $0.branch.map { $0 == (parts[0], parts[1]) } ?? false }
        if let newest = branch.last { return newest }
        return XenVersion.release(major: parts[0], minor: parts[1], patch: 0) > XenVersion.newestRelease ? .head : nil
    }
}
