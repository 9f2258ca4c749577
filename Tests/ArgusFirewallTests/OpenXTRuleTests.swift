import ArgoEngine
import ArgusFirewall
import Testing

/// OpenXT's rule syntax, read as xenmgr's parser reads it (OpenXT/manager Vm/ArgoFirewall.hs).
@Suite struct OpenXTRuleTests {
    typealias M = OpenXTRule.DomainMatch

    @Test(arguments: [
        ("myself -> 0:5555", OpenXTRule(from: .myself, to: .dom0, toPort: 5555)),
        ("0:12222 -> myself:2222", OpenXTRule(from: .dom0, fromPort: 12222, to: .myself, toPort: 2222)),
        ("my-stubdom -> 0:5100", OpenXTRule(from: .myStubdom, to: .dom0, toPort: 5100)),
        ("seamless -> myself-if-seamless:100", OpenXTRule(from: .seamless, to: .myselfIfSeamless, toPort: 100)),
        ("dom-type=ndvm -> myself", OpenXTRule(from: .byType("ndvm"), to: .myself)),
        ("dom-name=uivm:* -> *:80", OpenXTRule(from: .byName("uivm"), to: .any, toPort: 80)),
        ("* -> myself:80", OpenXTRule(from: .any, to: .myself, toPort: 80)),
        ("\t 6a1e2f3c-0000-4000-8000-000000000005 ->0: 7", OpenXTRule(from: .vm(uuid: "6a1e2f3c-0000-4000-8000-000000000005"), to: .dom0, toPort: 7)),
    ] as [(String, OpenXTRule)])
    func readsEveryEndpointKind(text: String, rule: OpenXTRule) throws {
        #expect(try OpenXTRule.parse(text) == rule)
    }

    /// xenmgr's oddities, reproduced: each of these reads as a real toolstack reads it.
    @Test func reproducesXenmgrOddities() throws {
        // A bare number other than 0 is a uuid: it names no running VM.
        #expect(try OpenXTRule.parse("5 -> myself").from == .vm(uuid: "5"))
        // Lower-cased first: upper-case keywords work, upper-case uuids become lower-case.
        #expect(try OpenXTRule.parse("MYSELF -> DOM-TYPE=NDVM:5555") == OpenXTRule(from: .myself, to: .byType("ndvm"), toPort: 5555))
        #expect(try OpenXTRule.parse("ABCDEF -> 0").from == .vm(uuid: "abcdef"))
        // Nothing after the destination is read.
        #expect(try OpenXTRule.parse("myself -> 0:80 junk here") == OpenXTRule(from: .myself, to: .dom0, toPort: 80))
        // A colon not followed by digits or '*' is no port, and the rest is ignored.
        #expect(try OpenXTRule.parse("myself -> 0:abc") == OpenXTRule(from: .myself, to: .dom0))
        #expect(try OpenXTRule.parse("myself -> 0: *") == OpenXTRule(from: .myself, to: .dom0))
        // "dom-typo" is not "dom-type=": xenmgr backtracks and reads the uuid "d".
        #expect(try OpenXTRule.parse("myself -> dom-typo").to == .vm(uuid: "d"))
        // An empty dom-type= value also falls back to a uuid ("d").
        #expect(try OpenXTRule.parse("myself -> dom-type=").to == .vm(uuid: "d"))
        // "myselfx" is "myself" followed by junk: fine on the right, an error on the left.
        #expect(try OpenXTRule.parse("0 -> myselfx").to == .myself)
        #expect(throws: OpenXTRule.ParseError.self) { try OpenXTRule.parse("myselfx -> 0") }
        // The inverse swaps ends and ports.
        #expect(try OpenXTRule.parse("0:12222 -> myself:2222").inverse == OpenXTRule(from: .myself, fromPort: 2222, to: .dom0, toPort: 12222))
    }

    @Test(arguments: [
        ("", 1), ("-> 0", 2), ("myself => 0", 8), ("myself -> ", 11), ("myself -", 9),
        ("myself -> 0:99999999999", 13), ("%% -> 0", 1),
    ] as [(String, Int)])
    func badRulesNameTheirColumn(text: String, column: Int) {
        #expect(throws: OpenXTRule.ParseError.self) { try OpenXTRule.parse(text) }
        do { _ = try OpenXTRule.parse(text) } catch { #expect(error.column == column, "\(text): \(error.message)") }
    }

    @Test func writesRulesBackAsXenmgrDoes() throws {
        for text in ["myself -> 0:5555", "0:12222 -> myself:2222", "* -> dom-type=ndvm", "seamless -> myself-if-seamless:100"] {
            #expect(try OpenXTRule.parse(text).description == text)
        }
    }
}

@Suite struct VIPTablesCommandTests {
    static let any = ArgoAddress(aport: ArgoABI.portAny, domainID: ArgoABI.domidAny)

    @Test func readsTheToolstacksCommands() throws {
        let add = try VIPTablesCommand.parse("viptables -I 1 --dom-in 3 --dom-out 0 --port-out 5555 -j ACCEPT")
        #expect(add == .insert(VIPTablesRule(source: ArgoAddress(aport: ArgoABI.portAny, domainID: 3),
                                             destination: ArgoAddress(aport: 5555, domainID: 0), accept: 1), position: 1))
        #expect(try VIPTablesCommand.parse("-A -j REJECT") == .append(VIPTablesRule(source: Self.any, destination: Self.any, accept: 0)))
        #expect(try VIPTablesCommand.parse("-F") == .flush)
        #expect(try VIPTablesCommand.parse("-D") == .flush)
        #expect(try VIPTablesCommand.parse("-D 3") == .deletePosition(3))
        #expect(try VIPTablesCommand.parse("-I -2 -j ACCEPT") == .insert(VIPTablesRule(source: Self.any, destination: Self.any, accept: 1), position: -2))
        #expect(try VIPTablesCommand.parse("-D --dom-in 0 --dom-out 0 -j ACCEPT")
                == .deleteMatching(VIPTablesRule(source: ArgoAddress(aport: ArgoABI.portAny, domainID: 0),
                                                 destination: ArgoAddress(aport: ArgoABI.portAny, domainID: 0), accept: 1)))
        // Round trip through the text the toolstack would run.
        for line in ["-I 1 --dom-in 3 --dom-out 0 --port-out 5555 -j ACCEPT", "-A -j REJECT", "-D 2", "-F"] {
            #expect(try VIPTablesCommand.parse(line).description == line)
        }
    }

    @Test(arguments: [
        ("-A", 1), ("-X", 1), ("-A --dom-in 70000 -j ACCEPT", 13), ("-A --port-out -1 -j ACCEPT", 15),
        ("-A -j DROP", 7), ("-A -A -j ACCEPT", 4), ("-D 2 --dom-in 1", 1), ("-F --dom-in 1", 1), ("-A --dom-in", 4),
        ("", 1), ("viptables", 1),
    ] as [(String, Int)])
    func badLinesNameTheirColumn(line: String, column: Int) {
        #expect(throws: VIPTablesCommand.ParseError.self) { try VIPTablesCommand.parse(line) }
        do { _ = try VIPTablesCommand.parse(line) } catch { #expect(error.column == column, "\(line): \(error.message)") }
    }
}
