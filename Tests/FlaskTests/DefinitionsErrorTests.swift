import Flask
import Foundation
import TestSupport
import Testing

/// Every kind of malformed definitions file, with the exact diagnostic it gets.
@Suite struct DefinitionsErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var securityClasses = "class a\nclass b\n"
        var accessVectors = "class a { x y }\n"
        var initialSIDs = "sid s\n"
        var expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // security_classes
        Case(name: "unknown keyword in security_classes",
             securityClasses: "class a\nklass b\n",
             expected: "security_classes:2:1: error: expected 'class', found 'klass'"),
        Case(name: "sid in security_classes",
             securityClasses: "class a\n  sid b\n",
             expected: "security_classes:2:3: error: expected 'class', found keyword 'sid' (initial SIDs belong in initial_sids)"),
        Case(name: "class without a name at end of file",
             securityClasses: "class a\nclass",
             expected: "security_classes:2:1: error: expected a class name after 'class', found end of file"),
        Case(name: "class named by a keyword",
             securityClasses: "class a\nclass\nclass b\n",
             expected: "security_classes:3:1: error: expected a class name after 'class', found keyword 'class'"),
        Case(name: "brace in security_classes",
             securityClasses: "class a {\n",
             expected: "security_classes:1:9: error: expected 'class', found '{'"),
        Case(name: "invalid class name",
             securityClasses: "class a\nclass 9lives\n",
             expected: "security_classes:2:7: error: invalid class name '9lives': use letters, digits and '_', not starting with a digit"),
        Case(name: "non-ASCII class name is escaped",
             securityClasses: "class caf\u{E9}\n",
             expected: "security_classes:1:7: error: invalid class name 'caf\\xC3\\xA9': use letters, digits and '_', not starting with a digit"),
        Case(name: "duplicate class",
             securityClasses: "class a\nclass b\n\tclass a\n",
             expected: "security_classes:3:8: error: duplicate class 'a' (first declared at line 1)"),

        Case(name: "classes differing only in case",
             securityClasses: "class xen\nclass Xen\n",
             expected: "security_classes:2:7: error: class 'Xen' and 'xen' (line 1) would both be C macro SECCLASS_XEN"),

        // initial_sids
        Case(name: "unknown keyword in initial_sids",
             initialSIDs: "sid s\nsids t\n",
             expected: "initial_sids:2:1: error: expected 'sid', found 'sids'"),
        Case(name: "class in initial_sids",
             initialSIDs: "sid s\nclass t\n",
             expected: "initial_sids:2:1: error: expected 'sid', found keyword 'class' (classes belong in security_classes)"),
        Case(name: "sid without a name",
             initialSIDs: "sid s\n# last\nsid # nothing\n",
             expected: "initial_sids:3:1: error: expected a SID name after 'sid', found end of file"),
        Case(name: "duplicate SID",
             initialSIDs: "sid s\nsid t\nsid  s\n",
             expected: "initial_sids:3:6: error: duplicate initial SID 's' (first declared at line 1)"),
        Case(name: "SIDs differing only in case",
             initialSIDs: "sid domU\nsid domu\n",
             expected: "initial_sids:2:5: error: initial SID 'domu' and 'domU' (line 1) would both be C macro SECINITSID_DOMU"),
        Case(name: "no SIDs at all",
             initialSIDs: "# nothing here\n",
             expected: "initial_sids:1:1: error: no initial SIDs: expected at least one 'sid NAME'"),

        // access_vectors
        Case(name: "unknown keyword in access_vectors",
             accessVectors: "class a { x }\nclas b { y }\n",
             expected: "access_vectors:2:1: error: expected 'class' or 'common', found 'clas'"),
        Case(name: "missing open brace",
             accessVectors: "class a\n  x\n",
             expected: "access_vectors:2:3: error: expected '{' or 'inherits' after class 'a', found 'x'"),
        Case(name: "class at end of file without a block",
             accessVectors: "class a { x }\nclass b\n",
             expected: "access_vectors:2:7: error: expected '{' or 'inherits' after class 'b', found end of file"),
        Case(name: "missing close brace before the next class",
             accessVectors: "class a {\n x\nclass b { y }\n",
             expected: "access_vectors:3:1: error: missing '}' before keyword 'class' (block of class 'a' opened at line 1)"),
        Case(name: "missing close brace at end of file",
             accessVectors: "class a { x y }\nclass b\n{\n  z\n",
             expected: "access_vectors:3:1: error: missing '}' to close the block of class 'b'"),
        Case(name: "nested open brace",
             accessVectors: "class a { x { y } }\n",
             expected: "access_vectors:1:13: error: unexpected '{' inside the block of class 'a'"),
        Case(name: "stray close brace",
             accessVectors: "class a { x }\n}\n",
             expected: "access_vectors:2:1: error: expected 'class' or 'common', found '}'"),
        Case(name: "invalid permission name",
             accessVectors: "class a { x y-z }\n",
             expected: "access_vectors:1:13: error: invalid permission name 'y-z': use letters, digits and '_', not starting with a digit"),
        Case(name: "duplicate permission",
             accessVectors: "class a {\n x\n y\n x\n}\n",
             expected: "access_vectors:4:2: error: duplicate permission 'x' in class 'a' (first at line 2)"),
        Case(name: "permissions differing only in case",
             accessVectors: "class a { send Send }\n",
             expected: "access_vectors:1:16: error: permissions 'Send' and 'send' (line 1) of class 'a' would both be C macro A__SEND"),
        Case(name: "duplicate class block",
             accessVectors: "class a { x }\nclass b { y }\nclass a { z }\n",
             expected: "access_vectors:3:7: error: duplicate access vectors for class 'a' (first defined at line 1)"),
        Case(name: "class not declared in security_classes",
             accessVectors: "class a { x }\n\nclass c { y }\n",
             expected: "access_vectors:3:7: error: class 'c' has access vectors but is not declared in security_classes"),
        Case(name: "unknown common",
             accessVectors: "class a inherits files { x }\n",
             expected: "access_vectors:1:18: error: unknown common 'files' (commons must be defined before the classes that inherit them)"),
        Case(name: "common defined after its use",
             accessVectors: "class a inherits f\ncommon f { r }\n",
             expected: "access_vectors:1:18: error: unknown common 'f' (commons must be defined before the classes that inherit them)"),
        Case(name: "inherits without a common name",
             accessVectors: "class a inherits { x }\n",
             expected: "access_vectors:1:18: error: expected a common name after 'inherits', found '{'"),
        Case(name: "duplicate common",
             accessVectors: "common f { r }\ncommon f { w }\nclass a { x }\n",
             expected: "access_vectors:2:8: error: duplicate common 'f' (first defined at line 1)"),
        Case(name: "common without a block",
             accessVectors: "common f\nclass a { x }\n",
             expected: "access_vectors:2:1: error: expected '{' after common 'f', found keyword 'class'"),
        Case(name: "own permission repeats an inherited one",
             accessVectors: "common f { r w }\nclass a inherits f { x w }\n",
             expected: "access_vectors:2:24: error: permission 'w' of class 'a' is already inherited from common 'f'"),
        Case(name: "33 permissions",
             accessVectors: "class a {\n" + (0..<33).map { "  p\($0)\n" }.joined() + "}\n",
             expected: "access_vectors:34:3: error: too many permissions in class 'a': 'p32' would be number 33, but an access vector has only 32 bits"),
        Case(name: "33 permissions counting the common's",
             accessVectors: "common f { c0 c1 c2 }\nclass a inherits f {\n" + (0..<30).map { "  p\($0)\n" }.joined() + "}\n",
             expected: "access_vectors:32:3: error: too many permissions in class 'a': 'p29' would be number 33, but an access vector has only 32 bits"),
        // Control characters are refused wherever they are, at their own column.
        Case(name: "control byte in a name",
             accessVectors: "class a { x\u{1}y }\n",
             expected: "access_vectors:1:12: error: control character \\x01 is not allowed in a definitions file"),
        Case(name: "NUL in a comment hides nothing",
             securityClasses: "class a\n# \u{0}\nclass b\n",
             expected: "security_classes:2:3: error: NUL character \\x00 is not allowed in a definitions file"),
        Case(name: "CRLF lines count as lines",
             securityClasses: "class a\r\nclass b\r\nclass 9\r\n",
             expected: "security_classes:3:7: error: invalid class name '9': use letters, digits and '_', not starting with a digit"),
        Case(name: "a lone carriage return",
             initialSIDs: "sid a\rsid b\n",
             expected: "initial_sids:1:6: error: carriage return without a line feed character \\x0D is not allowed in a definitions file"),
    ]

    @Test(arguments: cases)
    func diagnostic(_ testCase: Case) {
        do {
            let definitions = try FlaskDefinitions.parse(
                securityClasses: testCase.securityClasses,
                accessVectors: testCase.accessVectors,
                initialSIDs: testCase.initialSIDs)
            Issue.record("parsed, expected an error; got \(definitions.classes.map(\.name))")
        } catch {
            #expect(error.description == testCase.expected)
            #expect(error.location?.line != nil && error.location?.column != nil)
        }
    }

    @Test func thirtyTwoPermissionsAreAllowed() throws {
        let definitions = try FlaskDefinitions.parse(
            securityClasses: "class a\n",
            accessVectors: "class a {\n" + (0..<32).map { "  p\($0)\n" }.joined() + "}\n",
            initialSIDs: "sid s\n")
        #expect(definitions.permissionMask("p31", in: "a") == 0x8000_0000)
    }

    @Test func longNamesAreCutShortInMessages() {
        let long = String(repeating: "x", count: 100) + "-"
        #expect(throws: InputError.self) {
            try FlaskDefinitionsParser.parseSecurityClasses("class \(long)\n", file: "sc")
        }
        do {
            _ = try FlaskDefinitionsParser.parseSecurityClasses("class \(long)\n", file: "sc")
        } catch {
            #expect(error.message.contains(String(repeating: "x", count: 40) + "..."))
            #expect(!error.message.contains(String(repeating: "x", count: 41)))
        }
    }

    @Test func missingFilesAreInputErrors() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("argus-defs-missing-\(UUID().uuidString)").path
        #expect(throws: InputError("no such file", file: directory + "/security_classes")) {
            try FlaskDefinitions.load(directory: directory)
        }
        try FileManager.default.createDirectory(atPath: directory + "/security_classes", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: InputError("is a directory, not a definitions file", file: directory + "/security_classes")) {
            try FlaskDefinitions.load(directory: directory)
        }
    }

    @Test func errorsNameTheFilesGiven() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("argus-defs-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "class a\n".write(toFile: directory + "/security_classes", atomically: true, encoding: .utf8)
        try "class a {\n  x\n  x\n}\n".write(toFile: directory + "/access_vectors", atomically: true, encoding: .utf8)
        try "sid s\n".write(toFile: directory + "/initial_sids", atomically: true, encoding: .utf8)
        #expect(throws: InputError(
            "duplicate permission 'x' in class 'a' (first at line 2)",
            file: directory + "/access_vectors", line: 3, column: 3)
        ) {
            try FlaskDefinitions.load(directory: directory + "/")
        }
    }
}
