import Foundation
import Sepol

/// Loads a POLICY argument in any of its forms: a binary Xen policy (read by libsepol), a
/// `policy.conf` (compiled by checkpolicy), or a Xen-layout source tree (m4, then checkpolicy).
public struct PolicyLoader: Sendable {
    /// Where to find the hypervisor definitions for a source tree (nil: search near the tree).
    public var flaskDirectory: URL?
    /// Build source trees with MLS (Xen's CONFIG_MLS).
    public var mls: Bool
    /// Initial SID names in hypervisor order (number = index + 1).
    public var initialSIDNames: [String]
    /// What a source tree without definitions beside it is built with (the selected Xen's).
    public var fallbackDefinitions: FlaskDefinitions

    public init(flaskDirectory: URL? = nil, mls: Bool = false, initialSIDNames: [String],
                fallbackDefinitions: FlaskDefinitions = .xenDefault) {
        self.flaskDirectory = flaskDirectory
        self.mls = mls
        self.initialSIDNames = initialSIDNames
        self.fallbackDefinitions = fallbackDefinitions
    }

    /// A loader that reads initial SIDs with the numbering of `definitions` (the selected
    /// Xen's: the hypervisor looks initial SIDs up by its own numbers) and builds source trees
    /// with `flaskDirectory`, else the definitions beside the tree, else `definitions`.
    public init(flaskDirectory: String?, mls: Bool = false, definitions: FlaskDefinitions) {
        self.init(
            flaskDirectory: flaskDirectory.map { URL(fileURLWithPath: $0) }, mls: mls,
            initialSIDNames: definitions.initialSIDNames, fallbackDefinitions: definitions
        )
    }

    /// A loader whose initial SID names (and, for source trees, hypervisor definitions) come
    /// from `definitions`' directory, or Xen's built-in definitions when none is given.
    public init(flaskDirectory: String?, mls: Bool = false) throws(InputError) {
        let definitions = try flaskDirectory.map { dir throws(InputError) in try FlaskDefinitions.load(directory: dir) }
            ?? FlaskDefinitions.xenDefault
        self.init(flaskDirectory: flaskDirectory, mls: mls, definitions: definitions)
    }

    public func load(_ path: String) throws(InputError) -> Policy {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError("no such file or directory", file: path)
        }
        if isDirectory.boolValue {
            guard SourceTree.isTree(url) else {
                throw InputError("not a policy source tree (expected modules/modules.conf and policy/)", file: path)
            }
            return try loadTree(url, path: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("cannot read file", file: path)
        }
        let bytes = [UInt8](data)
        if bytes.count >= 4 && Self.littleEndianWord(bytes, 0) & 0xffff_fff0 == LibSepol.policyMagic & 0xffff_fff0 {
            return try loadBinary(bytes, path: path)
        }
        guard let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
            throw InputError("not a policy: neither a binary Xen policy nor policy.conf text", file: path)
        }
        let binary = try PolicyCompiler.compileConf(text, file: path)
        let image = try readImage(binary, path: path)
        return Policy(
            image: image, origin: .policyConf(path: path), binary: binary,
            initialSIDNames: sidNames, ruleOrigins: RuleOriginIndex(scanning: text, file: path)
        )
    }

    /// Reads a binary policy, refusing what a Xen hypervisor could never load.
    public func loadBinary(_ bytes: [UInt8], path: String) throws(InputError) -> Policy {
        let magic = Self.littleEndianWord(bytes, 0)
        if magic == LibSepol.policyMagic + 1 {
            throw InputError("a policy module, not a kernel policy", file: path)
        }
        guard magic == LibSepol.policyMagic else { throw InputError("not a binary policy (bad magic)", file: path) }
        if bytes.count >= 16 {
            let length = Int(Self.littleEndianWord(bytes, 4))
            if length <= 32 && bytes.count >= 8 + length {
                let id = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
                if id == "SE Linux" { throw InputError("an SELinux policy, not a Xen policy", file: path) }
            }
        }
        let image = try readImage(bytes, path: path)
        return Policy(image: image, origin: .binary(path: path), binary: bytes, initialSIDNames: sidNames)
    }

    /// The definitions directory a source tree is built with: `flaskDirectory`, else the
    /// first directory beside the tree that has them; nil: none (the fallback definitions).
    public func definitionsDirectory(forTree url: URL) -> URL? {
        if let flaskDirectory { return flaskDirectory }
        return SourceTree.candidateDefinitionDirectories(for: url).first(where: {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("security_classes").path)
        })
    }

    private func loadTree(_ url: URL, path: String) throws(InputError) -> Policy {
        let defs: URL
        if let found = definitionsDirectory(forTree: url) {
            defs = found
        } else {
            // No definitions beside the tree: build against the selected Xen's, built into Argus.
            let dir = try PolicyCompiler.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let files: [(name: String, text: String)] = fallbackDefinitions == .xenDefault ? [
                (name: "security_classes", text: XenDefaultDefinitionText.securityClasses),
                (name: "access_vectors", text: XenDefaultDefinitionText.accessVectors),
                (name: "initial_sids", text: XenDefaultDefinitionText.initialSIDs),
            ] : fallbackDefinitions.sourceFiles
            for (name, text) in files {
                do { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) } catch {
                    throw InputError("cannot write a temporary file: \(error.localizedDescription)")
                }
            }
            return try compileTree(SourceTree(root: url, hypervisorDefinitions: dir), path: path)
        }
        return try compileTree(SourceTree(root: url, hypervisorDefinitions: defs), path: path)
    }

    private func compileTree(_ tree: SourceTree, path: String) throws(InputError) -> Policy {
        let conf = try PolicyCompiler.preprocessTree(tree, mls: mls)
        let binary = try PolicyCompiler.compileConf(conf, file: path, mls: mls)
        let image = try readImage(binary, path: path)
        // Make the #line paths readable from where the user stands: prefix the tree path.
        var origins = RuleOriginIndex(scanning: conf, file: path)
        origins = RuleOriginIndex(statements: origins.statements.map { st in
            var s = st
            if !s.location.file.hasPrefix("/") && s.location.file != path {
                s.location.file = (path as NSString).appendingPathComponent(s.location.file)
            }
            s.location.file = (s.location.file as NSString).standardizingPath
            return s
        })
        return Policy(image: image, origin: .sourceTree(path: path), binary: binary, initialSIDNames: sidNames, ruleOrigins: origins)
    }

    private func readImage(_ bytes: [UInt8], path: String) throws(InputError) -> PolicyImage {
        let image: PolicyImage
        do { image = try LibSepol.readPolicy(bytes) } catch {
            throw InputError("libsepol cannot read the policy: \(error.message)", file: path)
        }
        guard image.platform == .xen else { throw InputError("an SELinux policy, not a Xen policy", file: path) }
        return image
    }

    private var sidNames: [UInt32: String] {
        Dictionary(uniqueKeysWithValues: initialSIDNames.enumerated().map { (UInt32($0.offset + 1), $0.element) })
    }

    public static func littleEndianWord(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        guard bytes.count >= at + 4 else { return 0 }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}
