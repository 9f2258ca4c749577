import Testing
import TOMLReader

@Suite struct TOMLReaderTests {
    @Test func readsTablesArraysAndPositions() throws {
        let doc = try TOML.parse("""
        title = "x" # c
        [boot]
        argo = true
        [[domain]]
        name = 'dom0'
        domid = 0
        [[domain]]
        name = "a1"
        domid = 0x10
        tags = [1, 2.5, "s", [true], {k = 1}]
        """)
        #expect(doc["title"]?.string == "x")
        #expect(doc["boot"]?.table?["argo"]?.bool == true)
        let domains = try #require(doc["domain"]?.array)
        #expect(domains.count == 2)
        #expect(domains[1].table?["domid"]?.int == 16)
        let entry = try #require(domains[1].table?.entry("name"))
        #expect(entry.valuePosition == TOMLPosition(line: 8, column: 8))
        #expect(entry.keyPosition == TOMLPosition(line: 8, column: 1))
        #expect(domains[1].table?.position == TOMLPosition(line: 7, column: 1))
    }
}

/// Documents TOML forbids, each refused at the right line and column.
@Suite struct TOMLRejectionTests {
    @Test(arguments: [
        ("[.]\n", 1, 2, "expected a key"),
        ("[]\n", 1, 2, "expected a key"),
        ("[a.]\n", 1, 4, "expected a key"),
        ("a = 1 # \u{0}\nb = 2\n", 1, 9, "control character U+0000 in a comment"),
        ("# fine\r\na = 1\rb = 2\n", 2, 6, "carriage return"),
        ("a = \"x\u{0}y\"\n", 1, 7, "control character U+0000 in a string"),
        ("a = 1\na = 2\n", 2, 1, "duplicate key 'a' (first at line 1)"),
        ("[t]\n[t]\n", 2, 2, "table [t] is defined twice"),
        ("[t]\nx.y = 1\n[t.x]\n", 3, 4, "already defined by dotted keys"),
        ("a = [1\nb = 2\n", 2, 1, "expected ',' or ']'"),
        ("a = {x = 1,}\n", 1, 12, "no trailing comma"),
        ("a = {x = 1\n}\n", 1, 11, "inline table must stay on one line"),
        ("a = {x = 1}\na.y = 2\n", 2, 1, "already a table"),
        ("a = [1]\n[[a]]\n", 2, 3, "already an array"),
        ("[[a]]\n[a]\n", 2, 2, "is an array of tables"),
        ("a = 9223372036854775808\n", 1, 5, "does not fit in 64 bits"),
        ("a = 0x1_0000_0000_0000_0000\n", 1, 5, "does not fit in 64 bits"),
        ("a = 01\n", 1, 5, "invalid value"),
        ("a = 1__0\n", 1, 5, "invalid value"),
        ("a = 2023-02-29\n", 1, 5, "invalid date"),
        ("a = \"\\q\"\n", 1, 6, "invalid escape"),
        ("a = \"\\uD800\"\n", 1, 6, "not a Unicode scalar"),
        ("a = \"open\n", 1, 10, "line break before the closing quote"),
        ("a = '''x''''''\n", 1, 9, "too many quotes"),
        ("a = 1 b = 2\n", 1, 7, "expected the end of the line"),
        ("a\n", 1, 2, "expected '='"),
        ("= 1\n", 1, 1, "expected a key"),
        ("a = \n", 1, 5, "expected a value"),
        ("x = 1\n\u{FEFF}y = 2\n", 2, 1, "expected a key"),
    ] as [(String, Int, Int, String)])
    func refusedWithPosition(_ text: String, line: Int, column: Int, message: String) {
        do {
            let doc = try TOML.parse(text)
            Issue.record("accepted \(text.debugDescription): \(doc)")
        } catch {
            #expect(error.message.contains(message), "\(text.debugDescription): \(error)")
            #expect(error.position == TOMLPosition(line: line, column: column), "\(text.debugDescription): \(error)")
        }
    }

    @Test func invalidUTF8IsPlacedAtItsByte() {
        var bytes = Array("a = 1\nb = \"é".utf8)
        bytes.append(0xFF)
        bytes += Array("\"\n".utf8)
        #expect(throws: TOMLParseError("not UTF-8 text (byte 0xFF)", at: TOMLPosition(line: 2, column: 7))) {
            try TOML.parse(bytes: bytes)
        }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: TOMLParseError.self) { try TOML.parse("a = " + deep + "\n") }
        let inline = "a = " + String(repeating: "{b = ", count: 200) + "1" + String(repeating: "}", count: 200) + "\n"
        #expect(throws: TOMLParseError.self) { try TOML.parse(inline) }
        let dotted = (0..<1000).map { "k\($0)" }.joined(separator: ".") + " = 1\n"
        #expect(throws: TOMLParseError.self) { try TOML.parse(dotted) }
        let header = "[" + (0..<1000).map { "k\($0)" }.joined(separator: ".") + "]\n"
        #expect(throws: TOMLParseError.self) { try TOML.parse(header) }
        // Just inside the bound is fine.
        let ok = "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"
        #expect(try TOML.parse(ok)["a"] != nil)
    }

    @Test func escapesAreKeptForTheCallerToJudge() throws {
        // TOML allows \u0000; Argus's own checks (TOMLDocument) refuse it in names.
        let doc = try TOML.parse("a = \"x\\u0000y\"\n")
        #expect(doc["a"]?.string == "x\u{0}y")
    }
}
