import Flask
import Foundation
import TestSupport
import Testing

/// `XenDefaultDefinitionText` must hold exactly the text of `policy/flask/`. With
/// `ARGUS_RECORD_GOLDEN=1` the Swift file is regenerated from the files (and the test fails,
/// like any recording run).
@Suite struct DefinitionsEmbeddedTextTests {
    static let parts: [(property: String, file: String, embedded: String)] = [
        ("securityClasses", "security_classes", XenDefaultDefinitionText.securityClasses),
        ("accessVectors", "access_vectors", XenDefaultDefinitionText.accessVectors),
        ("initialSIDs", "initial_sids", XenDefaultDefinitionText.initialSIDs),
    ]

    static let swiftFile = Golden.packageRoot
        .appendingPathComponent("Sources/Flask/Definitions/XenDefaultDefinitionText.swift")

    static func onDisk(_ file: String) throws -> String {
        try String(contentsOf: Golden.packageRoot.appendingPathComponent("policy/flask/\(file)"), encoding: .utf8)
    }

    @Test func embeddedTextEqualsPolicyFlask() throws {
        for part in Self.parts {
            #expect(part.embedded == (try Self.onDisk(part.file)), "\(part.file) differs from its embedded copy")
        }
        let generated = try Self.generatedSwift()
        Golden.expectMatch(generated, golden: "Sources/Flask/Definitions/XenDefaultDefinitionText.swift",
                           in: Golden.packageRoot)
    }

    /// The Swift source that embeds `policy/flask/` (what the checked-in file must be).
    static func generatedSwift() throws -> String {
        var lines = [
            "// Generated from policy/flask by DefinitionsEmbeddedTextTests; do not edit by hand.",
            "// To refresh after changing policy/flask: ARGUS_RECORD_GOLDEN=1 swift test --filter DefinitionsEmbeddedTextTests",
            "",
            "/// The text of `policy/flask/{security_classes,access_vectors,initial_sids}`, embedded so",
            "/// that `FlaskDefinitions.xenDefault` needs no files at run time.",
            "public enum XenDefaultDefinitionText {",
        ]
        for (index, part) in parts.enumerated() {
            lines.append("    /// `policy/flask/\(part.file)`.")
            lines.append("    public static let \(part.property) = \(rawLiteral(try onDisk(part.file)))")
            if index < parts.count - 1 { lines.append("") }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A raw multi-line string literal whose value is exactly `text`: the newline before
    /// the closing delimiter is not part of the value, so one is always added.
    static func rawLiteral(_ text: String) -> String {
        var hashes = "#"
        while text.contains("\"\"\"" + hashes) || text.contains("\\" + hashes) { hashes += "#" }
        return hashes + "\"\"\"\n" + text + "\n\"\"\"" + hashes
    }
}
