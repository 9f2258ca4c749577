import ArgoEngine
import Flask
import Foundation
import TOMLReader

/// One domain of the system being audited.
public struct DomainSpec: Sendable, Equatable, Codable {
    public var name: String
    public var domid: UInt16
    /// The FLASK label (`user:role:type[:range]`), as in xl's `seclabel`.
    public var label: String
    /// A control domain (matters to SILO); domain 0 is one unless told otherwise.
    public var privileged: Bool
    /// The name of the domain this one serves as device model, if any.
    public var target: String?
    /// Where the domain was declared, for error messages.
    public var location: SourceLocation?
    /// Where its label was written (the `label` value, or the xl config's `seclabel`).
    public var labelLocation: SourceLocation?

    public init(name: String, domid: UInt16, label: String, privileged: Bool = false, target: String? = nil,
                location: SourceLocation? = nil, labelLocation: SourceLocation? = nil) {
        self.name = name
        self.domid = domid
        self.label = label
        self.privileged = privileged
        self.target = target
        self.location = location
        self.labelLocation = labelLocation
    }
}

/// The system file: boot settings and the domains that run.
public struct SystemInventory: Sendable, Equatable {
    public var boot: BootSettings
    public var domains: [DomainSpec]
    /// Complaints Xen would print about the pasted command line, if one was given.
    public var bootDiagnostics: [XenCommandLine.Diagnostic]
    public var path: String

    public init(boot: BootSettings, domains: [DomainSpec], bootDiagnostics: [XenCommandLine.Diagnostic] = [], path: String = "<memory>") {
        self.boot = boot
        self.domains = domains
        self.bootDiagnostics = bootDiagnostics
        self.path = path
    }

    /// The largest domid a real domain can have (DOMID_FIRST_RESERVED - 1).
    public static let maxDomid: UInt16 = 0x7fef

    /// Reads and checks a TOML system file (see docs/SYSTEM-FILE.md).
    public static func load(_ path: String) throws(InputError) -> SystemInventory {
        try parse(TOMLDocument(path: path))
    }

    /// Reads a system file from text (tests); `path` names it in errors and anchors `xl` paths.
    public static func parse(text: String, path: String) throws(InputError) -> SystemInventory {
        try parse(TOMLDocument(text: text, path: path))
    }

    static func parse(_ doc: TOMLDocument) throws(InputError) -> SystemInventory {
        let path = doc.path
        try doc.checkKeys(doc.root, allowed: ["boot", "domain"], name: "")
        var boot = BootSettings()
        var diagnostics: [XenCommandLine.Diagnostic] = []
        if let table = try doc.optionalTable("boot") {
            try doc.checkKeys(table, allowed: ["argo", "mac_permissive", "xsm", "flask", "cmdline"], name: "boot")
            if let cmdline = try doc.string(table, "cmdline", in: "boot") {
                (boot, diagnostics) = XenCommandLine.parse(cmdline, base: boot)
            }
            if let b = try doc.bool(table, "argo", in: "boot") { boot.argo = b }
            if let b = try doc.bool(table, "mac_permissive", in: "boot") { boot.macPermissive = b }
            if let s = try doc.string(table, "xsm", in: "boot") {
                guard let m = XSMModuleKind(rawValue: s) else { throw doc.error("xsm must be flask, dummy or silo, not '\(s)'", table: "boot", key: "xsm") }
                boot.xsm = m
            }
            if let s = try doc.string(table, "flask", in: "boot") {
                guard let m = FlaskMode(rawValue: s) else { throw doc.error("flask must be enforcing or permissive, not '\(s)'", table: "boot", key: "flask") }
                boot.flask = m
            }
        }

        let baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent()
        var domains: [DomainSpec] = []
        var names: [String: Int] = [:], domids: [UInt16: Int] = [:]
        let tables = try doc.arrayOfTables("domain")
        for (i, t) in tables.enumerated() {
            try doc.checkKeys(t, allowed: ["name", "domid", "label", "privileged", "target", "xl"], name: "domain", index: i)
            var name = try doc.string(t, "name", in: "domain", index: i)
            var label = try doc.string(t, "label", in: "domain", index: i)
            var labelLocation = label == nil ? nil : doc.location(table: "domain", index: i, key: "label")
            if let xl = try doc.string(t, "xl", in: "domain", index: i) {
                let xlPath = xl.hasPrefix("/") ? xl : baseDirectory.appendingPathComponent(xl).path
                let config: XLConfig
                do { config = try XLConfig.load(xlPath) } catch where error.location?.line == nil {
                    // A config that cannot be read at all is reported where the system file names it.
                    throw doc.error("xl config '\(xl)': \(error.message)", table: "domain", index: i, key: "xl")
                }
                if name == nil { name = config.name }
                if label == nil {
                    label = config.seclabel
                    labelLocation = config.seclabelLine.map { SourceLocation(file: xlPath, line: $0) }
                }
                if name == nil { throw InputError("no 'name' in the xl config", file: xlPath) }
                if label == nil { throw InputError("no 'seclabel' in the xl config", file: xlPath) }
            }
            guard let name, !name.isEmpty else { throw doc.error("a domain needs a name (or an xl config)", table: "domain", index: i) }
            guard let label else { throw doc.error("domain '\(name)' needs a label (or an xl config with seclabel)", table: "domain", index: i) }
            guard let rawDomid = try doc.int(t, "domid", in: "domain", index: i) else {
                throw doc.error("domain '\(name)' needs a domid", table: "domain", index: i)
            }
            guard rawDomid >= 0 && rawDomid <= Int(maxDomid) else {
                throw doc.error("domid \(rawDomid) is out of range (0 to \(maxDomid))", table: "domain", index: i, key: "domid")
            }
            let domid = UInt16(rawDomid)
            if let first = names[name] {
                throw doc.error("duplicate domain name '\(name)' (first at line \(doc.line(table: "domain", index: first) ?? 0))", table: "domain", index: i, key: "name")
            }
            if let first = domids[domid] {
                throw doc.error("duplicate domid \(domid) (also '\(domains[first].name)')", table: "domain", index: i, key: "domid")
            }
            names[name] = i
            domids[domid] = i
            let privileged = try doc.bool(t, "privileged", in: "domain", index: i) ?? (domid == 0)
            let target = try doc.string(t, "target", in: "domain", index: i)
            domains.append(DomainSpec(
                name: name, domid: domid, label: label, privileged: privileged, target: target,
                location: doc.location(table: "domain", index: i), labelLocation: labelLocation
            ))
        }
        for (i, d) in domains.enumerated() {
            if let target = d.target {
                guard names[target] != nil else {
                    throw doc.error("unknown target domain '\(target)'", table: "domain", index: i, key: "target")
                }
                if target == d.name { throw doc.error("a domain cannot be its own device model", table: "domain", index: i, key: "target") }
            }
        }
        return SystemInventory(boot: boot, domains: domains, bootDiagnostics: diagnostics, path: path)
    }
}

/// The two settings Argus needs from an xl domain configuration file.
struct XLConfig {
    var name: String?
    var seclabel: String?
    var seclabelLine: Int?

    static func load(_ path: String) throws(InputError) -> XLConfig {
        let bytes = try TOMLDocument.readBytes(path)
        if let bad = firstInvalidUTF8Offset(bytes) {
            let at = textPosition(of: bad, in: bytes)
            throw InputError("not UTF-8 text (byte 0x\(String(bytes[bad], radix: 16)))", file: path, line: at.line, column: at.column)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var config = XLConfig()
        for (n, raw) in TextInput.lines(text).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard key == "name" || key == "seclabel" else { continue }
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if let hash = value.firstIndex(of: "#"), !value.hasPrefix("#") {
                let quoteCount = value[..<hash].filter { $0 == "\"" || $0 == "'" }.count
                if quoteCount % 2 == 0 { value = String(value[..<hash]).trimmingCharacters(in: .whitespaces) }
            }
            guard value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q else {
                throw InputError("'\(key)' must be a quoted string", file: path, line: n + 1)
            }
            let unquoted = String(value.dropFirst().dropLast())
            if key == "name" {
                try DomainName.check(unquoted, at: SourceLocation(file: path, line: n + 1))
                config.name = unquoted
            } else {
                if unquoted.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                    throw InputError("'seclabel' holds a control character", file: path, line: n + 1)
                }
                config.seclabel = unquoted
                config.seclabelLine = n + 1
            }
        }
        return config
    }
}
