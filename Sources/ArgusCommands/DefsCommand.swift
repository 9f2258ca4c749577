import ArgumentParser
import Flask
import Foundation

/// `argus defs`: the FLASK classes, permission bits and initial SIDs Xen is built with.
public struct DefsCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "defs",
        abstract: "Show Xen's FLASK security classes, permission bits and initial SIDs.",
        discussion: """
            Reads security_classes, access_vectors and initial_sids (from --flask-dir, from \
            the three file options, or the copy of Xen's built into argus) and numbers them \
            as Xen's build does. --format c prints the macros of Xen's generated flask.h and \
            av_permissions.h.
            """
    )

    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
        case text, json, c
    }

    @Option(name: .customLong("flask-dir"), help: ArgumentHelp(
        "Directory holding security_classes, access_vectors and initial_sids.", valueName: "dir"))
    public var flaskDirectory: String?

    @Option(name: .customLong("security-classes"), help: ArgumentHelp("The security_classes file.", valueName: "file"))
    public var securityClassesFile: String?

    @Option(name: .customLong("access-vectors"), help: ArgumentHelp("The access_vectors file.", valueName: "file"))
    public var accessVectorsFile: String?

    @Option(name: .customLong("initial-sids"), help: ArgumentHelp("The initial_sids file.", valueName: "file"))
    public var initialSIDsFile: String?

    @Option(name: .customLong("class"), help: ArgumentHelp("Show only this class.", valueName: "name"))
    public var className: String?

    @Option(help: "Output format: text, json or c.")
    public var format: Format = .text

    public init() {}

    public func validate() throws {
        let files = [securityClassesFile, accessVectorsFile, initialSIDsFile]
        let given = files.compactMap { $0 }.count
        if flaskDirectory != nil, given > 0 {
            throw ValidationError("give either --flask-dir or the three file options, not both")
        }
        if given > 0, given < 3 {
            throw ValidationError("--security-classes, --access-vectors and --initial-sids go together: give all three")
        }
    }

    /// The definitions the options point at.
    public func loadDefinitions() throws(InputError) -> FlaskDefinitions {
        if let flaskDirectory {
            return try FlaskDefinitions.load(directory: flaskDirectory)
        }
        if let securityClassesFile, let accessVectorsFile, let initialSIDsFile {
            return try FlaskDefinitions.load(files: DefinitionFilePaths(
                securityClasses: securityClassesFile, accessVectors: accessVectorsFile, initialSIDs: initialSIDsFile))
        }
        return FlaskDefinitions.xenDefault
    }

    public func run(in context: CommandContext) throws {
        let definitions = try loadDefinitions()
        if let className, definitions.class(named: className) == nil {
            throw InputError("unknown class '\(className)'; classes are: "
                + definitions.classes.map(\.name).joined(separator: ", "))
        }
        let output: String
        switch format {
        case .text: output = DefinitionsTextFormatter.text(definitions, onlyClass: className)
        case .json: output = try DefinitionsJSONFormatter.json(definitions, onlyClass: className)
        case .c: output = definitions.cHeader(onlyClass: className)
        }
        context.standardOutput.write(output)
    }
}

/// The human-readable listing of `argus defs`.
enum DefinitionsTextFormatter {
    static func text(_ definitions: FlaskDefinitions, onlyClass: String?) -> String {
        var lines: [String] = []
        let classes = definitions.classes.filter { onlyClass == nil || $0.name == onlyClass }
        if onlyClass == nil {
            for common in definitions.commons {
                lines.append("common \(common.name)")
                lines += permissionLines(common.permissions)
                lines.append("")
            }
        }
        for securityClass in classes {
            var heading = "class \(securityClass.name) = \(securityClass.value)"
            if let common = securityClass.inherits { heading += " inherits \(common)" }
            if securityClass.permissions.isEmpty { heading += " (no permissions)" }
            lines.append(heading)
            lines += permissionLines(securityClass.permissions)
            lines.append("")
        }
        if onlyClass == nil {
            lines.append("initial SIDs")
            let width = definitions.initialSIDs.map(\.name.count).max() ?? 0
            for sid in definitions.initialSIDs {
                lines.append("    " + pad(sid.name, to: width) + "  = \(sid.value)")
            }
        } else if lines.last == "" {
            lines.removeLast()
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func permissionLines(_ permissions: [PermissionDefinition]) -> [String] {
        let width = permissions.map(\.name.count).max() ?? 0
        return permissions.map { permission in
            var line = "    " + pad(permission.name, to: width) + "  " + hex(permission.mask)
                + "  bit " + pad(String(permission.bitIndex), to: 2, leading: true)
            if let common = permission.inheritedFrom { line += "  (from common \(common))" }
            return line
        }
    }

    static func hex(_ mask: UInt32) -> String {
        let digits = String(mask, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    private static func pad(_ text: String, to width: Int, leading: Bool = false) -> String {
        let spaces = String(repeating: " ", count: max(0, width - text.count))
        return leading ? spaces + text : text + spaces
    }
}

/// The JSON form of `argus defs`: plain data, no source locations.
enum DefinitionsJSONFormatter {
    struct Document: Encodable {
        var classes: [Class]
        /// Left out when the output is restricted to one class.
        var commons: [Common]?
        var initialSIDs: [SID]?
    }

    struct Class: Encodable {
        var name: String
        var value: UInt16
        var inherits: String?
        var permissions: [Permission]
    }

    struct Common: Encodable {
        var name: String
        var permissions: [Permission]
    }

    struct Permission: Encodable {
        var name: String
        var bit: Int
        var mask: UInt32
        var inheritedFrom: String?
    }

    struct SID: Encodable {
        var name: String
        var value: UInt32
    }

    static func json(_ definitions: FlaskDefinitions, onlyClass: String?) throws -> String {
        func permissions(_ list: [PermissionDefinition]) -> [Permission] {
            list.map { Permission(name: $0.name, bit: $0.bitIndex, mask: $0.mask, inheritedFrom: $0.inheritedFrom) }
        }
        let classes = definitions.classes.filter { onlyClass == nil || $0.name == onlyClass }
        let document = Document(
            classes: classes.map {
                Class(name: $0.name, value: $0.value, inherits: $0.inherits, permissions: permissions($0.permissions))
            },
            commons: onlyClass == nil ? definitions.commons.map {
                Common(name: $0.name, permissions: permissions($0.permissions))
            } : nil,
            initialSIDs: onlyClass == nil ? definitions.initialSIDs.map { SID(name: $0.name, value: $0.value) } : nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(document)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
