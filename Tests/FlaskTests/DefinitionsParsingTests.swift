import Flask
import Foundation
import TestSupport
import Testing

/// The project's copy of Xen's definitions, and the numbering rules.
@Suite struct DefinitionsParsingTests {
    static let projectDirectory = Golden.packageRoot.appendingPathComponent("policy/flask").path

    @Test func projectCopyNumbersClassesAsXen() throws {
        let definitions = try FlaskDefinitions.load(directory: Self.projectDirectory)
        #expect(definitions.classes.map(\.name) == [
            "xen", "xen2", "domain", "domain2", "hvm", "mmu", "resource",
            "shadow", "event", "grant", "security", "version", "argo",
        ])
        #expect(definitions.classes.map(\.value) == Array(1...13))
        let argo = try #require(definitions.class(named: "argo"))
        #expect(argo.value == 13)
        #expect(argo.permissions.map(\.name) == ["enable", "register_single_source", "register_any_source", "send"])
        #expect(argo.permissions.map(\.mask) == [0x1, 0x2, 0x4, 0x8])
        #expect(argo.inherits == nil)
        #expect(definitions.permissionMask("send", in: "argo") == 0x8)
        #expect(definitions.permissionMask("register_any_source", in: "argo") == 0x4)
        #expect(definitions.permissionMask("nope", in: "argo") == nil)
        #expect(definitions.permissionMask("send", in: "nope") == nil)
        #expect(definitions.class(value: 13)?.name == "argo")
        #expect(definitions.class(value: 0) == nil)
        #expect(definitions.class(value: 14) == nil)
        #expect(argo.permissionNames(in: 0x9) == ["enable", "send"])
        #expect(argo.allPermissionsMask == 0xF)
        #expect(argo.location == SourceLocation(file: Self.projectDirectory + "/security_classes", line: 18, column: 7))
    }

    @Test func projectCopyPermissionCounts() throws {
        let definitions = try FlaskDefinitions.load(directory: Self.projectDirectory)
        let counts = Dictionary(uniqueKeysWithValues: definitions.classes.map { ($0.name, $0.permissions.count) })
        #expect(counts == [
            "xen": 29, "xen2": 10, "domain": 30, "domain2": 27, "hvm": 12, "mmu": 13, "resource": 18,
            "shadow": 3, "event": 5, "grant": 7, "security": 11, "version": 8, "argo": 4,
        ])
        for securityClass in definitions.classes {
            #expect(securityClass.permissions.map(\.bitIndex) == Array(0..<securityClass.permissions.count))
        }
        #expect(definitions.permissionMask("setscheduler", in: "xen") == 1 << 28)
        #expect(definitions.permissionMask("getscheduler", in: "domain") == 1 << 10)
        #expect(definitions.commons.isEmpty)
    }

    @Test func projectCopyInitialSIDs() throws {
        let definitions = try FlaskDefinitions.load(directory: Self.projectDirectory)
        #expect(definitions.initialSIDs.count == 13)
        #expect(definitions.initialSIDs.map(\.value) == Array(1...13))
        let expected: [(String, UInt32)] = [("xenboot", 1), ("xen", 2), ("dom0", 3), ("domU", 12), ("domDM", 13)]
        for (name, value) in expected {
            #expect(definitions.initialSID(named: name)?.value == value, "\(name)")
        }
        #expect(definitions.initialSID(value: 6)?.name == "unlabeled")
        #expect(definitions.initialSID(value: 14) == nil)
    }

    @Test func commonPermissionsComeFirst() throws {
        let definitions = try FlaskDefinitions.parse(
            securityClasses: "class file\nclass dir\nclass plain\n",
            accessVectors: """
                common file_ops { read write }
                class file inherits file_ops
                class dir inherits file_ops { search add_name }
                class plain { only }
                """,
            initialSIDs: "sid kernel\n")
        let dir = try #require(definitions.class(named: "dir"))
        #expect(dir.inherits == "file_ops")
        #expect(dir.permissions.map(\.name) == ["read", "write", "search", "add_name"])
        #expect(dir.permissions.map(\.mask) == [1, 2, 4, 8])
        #expect(dir.permissions.map(\.inheritedFrom) == ["file_ops", "file_ops", nil, nil])
        let file = try #require(definitions.class(named: "file"))
        #expect(file.permissions.map(\.name) == ["read", "write"])
        #expect(definitions.permissionMask("only", in: "plain") == 1)
        #expect(definitions.common(named: "file_ops")?.permissions.map(\.mask) == [1, 2])
        #expect(definitions.common(named: "file_ops")?.location == SourceLocation(file: "access_vectors", line: 1, column: 8))
    }

    @Test func classWithoutAccessVectorsHasNoPermissions() throws {
        let definitions = try FlaskDefinitions.parse(
            securityClasses: "class a\nclass b\n", accessVectors: "class b { x }\n", initialSIDs: "sid s\n")
        #expect(definitions.class(named: "a")?.permissions == [])
        #expect(definitions.class(named: "a")?.accessVectorLocation == nil)
        #expect(definitions.class(named: "b")?.value == 2)
    }

    @Test func layoutIsFree() throws {
        let definitions = try FlaskDefinitions.parse(
            securityClasses: "\t class   one#trailing comment\n\n\r\nclass\ttwo\n# class three\n",
            accessVectors: "class two{a b\n\tc}class one\n{\n}\n# }\n",
            initialSIDs: "sid first sid second",
            files: DefinitionFilePaths(directory: "defs"))
        #expect(definitions.classes.map(\.name) == ["one", "two"])
        #expect(definitions.permissionMask("c", in: "two") == 4)
        #expect(definitions.class(named: "one")?.permissions == [])
        #expect(definitions.initialSIDs.map(\.name) == ["first", "second"])
        #expect(definitions.class(named: "two")?.location == SourceLocation(file: "defs/security_classes", line: 4, column: 7))
        #expect(definitions.class(named: "two")?.permission(named: "c")?.location
            == SourceLocation(file: "defs/access_vectors", line: 2, column: 2))
    }

    @Test func codableRoundTrip() throws {
        let definitions = FlaskDefinitions.xenDefault
        let data = try JSONEncoder().encode(definitions)
        #expect(try JSONDecoder().decode(FlaskDefinitions.self, from: data) == definitions)
    }

    @Test func xenDefaultMatchesFilesOnDisk() throws {
        let root = Golden.packageRoot.path
        let onDisk = try FlaskDefinitions.parse(
            securityClasses: String(contentsOfFile: root + "/policy/flask/security_classes", encoding: .utf8),
            accessVectors: String(contentsOfFile: root + "/policy/flask/access_vectors", encoding: .utf8),
            initialSIDs: String(contentsOfFile: root + "/policy/flask/initial_sids", encoding: .utf8),
            files: FlaskDefinitions.xenDefaultFiles)
        #expect(FlaskDefinitions.xenDefault == onDisk)
        #expect(FlaskDefinitions.xenDefault.permissionMask("send", in: "argo") == 8)
    }
}
