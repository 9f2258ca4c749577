import Foundation

/// A policy source tree laid out like Xen's `tools/flask/policy`: `policy/` for the global
/// sections and `modules/` for `.te`/`.if`/`.cons` files enabled in `modules/modules.conf`.
public struct SourceTree: Sendable {
    public let root: URL
    /// Where the hypervisor's `security_classes`, `initial_sids` and `access_vectors` are.
    public let hypervisorDefinitions: URL

    public init(root: URL, hypervisorDefinitions: URL) {
        self.root = root
        self.hypervisorDefinitions = hypervisorDefinitions
    }

    /// True when `url` looks like such a tree.
    public static func isTree(_ url: URL) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: url.appendingPathComponent("modules/modules.conf").path)
            && fm.fileExists(atPath: url.appendingPathComponent("policy").path)
    }

    /// Places searched for the hypervisor definitions when none is named: the tree's own
    /// `flask/`, a sibling `flask/` (this project's layout), and Xen's source layout.
    public static func candidateDefinitionDirectories(for root: URL) -> [URL] {
        [
            root.appendingPathComponent("flask"),
            root.deletingLastPathComponent().appendingPathComponent("flask"),
            root.appendingPathComponent("../../../xen/xsm/flask/policy").standardizedFileURL,
        ]
    }

    /// Modules switched on in `modules/modules.conf`, in file order (`name = on`).
    public func enabledModules() throws(InputError) -> [String] {
        let path = root.appendingPathComponent("modules/modules.conf")
        guard let text = try? String(contentsOf: path, encoding: .utf8) else {
            throw InputError("cannot read modules.conf", file: path.path)
        }
        var modules: [String] = []
        // "\r\n" is one Character in Swift: split on it too, or a CRLF file is one line.
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let trimmed = raw.drop { $0 == " " || $0 == "\t" }
            guard let first = trimmed.first, first.isLowercase, first.isLetter else { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3, fields[1] == "=" else {
                throw InputError("expected 'name = on|off'", file: path.path, line: n + 1)
            }
            if fields[2] == "on" { modules.append(String(fields[0])) }
        }
        return modules
    }

    /// The files m4 reads, in the order Xen's build concatenates them, relative to the root
    /// where they lie inside it.
    public func sections() throws(InputError) -> [String] {
        let fm = FileManager.default
        func inTree(_ rel: String) -> String? {
            fm.fileExists(atPath: root.appendingPathComponent(rel).path) ? rel : nil
        }
        func required(_ rel: String) throws(InputError) -> String {
            guard let found = inTree(rel) else { throw InputError("missing policy section", file: root.appendingPathComponent(rel).path) }
            return found
        }
        func hypervisor(_ name: String) throws(InputError) -> String {
            let url = hypervisorDefinitions.appendingPathComponent(name)
            guard fm.fileExists(atPath: url.path) else { throw InputError("missing hypervisor definitions", file: url.path) }
            return relativePath(url)
        }
        let modules = try enabledModules()
        for m in modules where inTree("modules/\(m).te") == nil {
            throw InputError("module '\(m)' is enabled but has no .te file", file: root.appendingPathComponent("modules/modules.conf").path)
        }
        let support = ((try? fm.contentsOfDirectory(atPath: root.appendingPathComponent("policy/support").path)) ?? [])
            .filter { $0.hasSuffix(".spt") }.sorted().map { "policy/support/\($0)" }
        var files: [String] = []
        files.append(try hypervisor("security_classes"))
        files += [inTree("policy/security_classes")].compactMap { $0 }
        files.append(try hypervisor("initial_sids"))
        files.append(try hypervisor("access_vectors"))
        files += [inTree("policy/access_vectors")].compactMap { $0 }
        files += support
        files += [inTree("policy/mls")].compactMap { $0 }
        files += modules.compactMap { inTree("modules/\($0).if") }
        files += [inTree("policy/global_tunables")].compactMap { $0 }
        files += modules.map { "modules/\($0).te" }
        files.append(try required("policy/users"))
        files += modules.compactMap { inTree("modules/\($0).cons") }
        files.append(try required("policy/initial_sids"))
        files += [inTree("policy/device_contexts")].compactMap { $0 }
        return files
    }

    /// A path relative to the tree root when possible (so `#line` markers stay short).
    private func relativePath(_ url: URL) -> String {
        let base = root.standardizedFileURL.path.hasSuffix("/") ? root.standardizedFileURL.path : root.standardizedFileURL.path + "/"
        let full = url.standardizedFileURL.path
        if full.hasPrefix(base) { return String(full.dropFirst(base.count)) }
        let baseParts = base.split(separator: "/"), fullParts = full.split(separator: "/")
        var common = 0
        while common < min(baseParts.count, fullParts.count) && baseParts[common] == fullParts[common] { common += 1 }
        let ups = Array(repeating: "..", count: baseParts.count - common)
        return (ups + fullParts[common...].map(String.init)).joined(separator: "/")
    }
}
