import Foundation
import Testing
@testable import ArgusAnalysis
import ArgusCommands
import Flask
import TestSupport

/// xl domain configuration files read as libxlu and xl_parse.c read them: syntax, the keys
/// Argus takes, and every refusal placed at its line and column.
@Suite struct XLConfigTests {
    func parse(_ text: String) throws(InputError) -> XLConfig { try XLConfig.parse(text, path: "g.cfg") }

    func refusal(_ text: String) -> InputError? {
        do { _ = try parse(text); return nil } catch { return error }
    }

    @Test func readsRealSyntax() throws {
        let config = try parse("""
            # a guest\r
            name="web";type='hvm'\r
            uuid = "6f0d8c5e-1b2a-4c3d-9e8f-0a1b2c3d4e5f"
            disk = [ 'phy:/dev/vg/web,xvda,w',\t# the root disk
                     "file:/srv/web.iso,hdc:cdrom,r" ,
                     [ 1, 0x2 ], ]
            memory=0x800
            extra = "console=hvc0 \\"quiet\\" # not a comment"
            seclabel = 'tenant_a_u:vm_r:tenant_a'
            seclabel += "_t"
            init_seclabel="system_u:system_r:isolated_t"
            device_model_stubdomain_override = 010
            device_model_stubdomain_seclabel = "system_u:system_r:dm_dom_t"
            """)
        #expect(config.name == "web" && config.type == .hvm)
        #expect(config.uuid == "6f0d8c5e-1b2a-4c3d-9e8f-0a1b2c3d4e5f")
        #expect(config.seclabel == "tenant_a_u:vm_r:tenant_a_t", "+= joins strings as xl does")
        #expect(config.seclabelLocation?.line == 10 && config.seclabelLocation?.column == 13, "placed at the last statement")
        #expect(config.initSeclabel == "system_u:system_r:isolated_t")
        #expect(config.stubdomain, "010 is octal 8, not zero")
        #expect(config.stubdomainSeclabel == "system_u:system_r:dm_dom_t")
        let file = try XLConfigFile.parse("disk = ['a', 'b']\ndisk += ['c']\n", path: "d.cfg")
        #expect(file["disk"]?.value == .list([.atom("a", quoted: true), .atom("b", quoted: true), .atom("c", quoted: true)]))
    }

    @Test func lastAssignmentWinsAsInXL() throws {
        let config = try parse("name = 'a'\nseclabel = 'x:y:first_t'\nseclabel = 'x:y:second_t'\nname = 'b'\n")
        #expect(config.name == "b" && config.seclabel == "x:y:second_t" && config.seclabelLocation?.line == 3)
    }

    /// `strncmp(value, "hvm", strlen(value))`: a prefix selects, hvm first.
    @Test func typeIsMatchedByPrefixLikeXL() throws {
        #expect(try parse("type = 'pvh'").type == .pvh)
        #expect(try parse("type = 'pv'").type == .pv)
        #expect(try parse("type = 'h'").type == .hvm)
        #expect(try parse("type = ''").type == .hvm)
        #expect(try parse("type = 'p'").type == .pv)
        #expect(try parse("builder = 'generic'").type == .pv)
        #expect(try parse("name = 'x'").type == nil)
        #expect(refusal("type = 'hvmx'")?.message.contains("type must be pv, pvh or hvm") == true)
        #expect(refusal("type = 'hvm'\nbuilder = 'generic'")?.location?.line == 2)
    }

    @Test(arguments: [
        ("name = web\n", 1, 8, "expected a value"),
        ("name = \"web\n", 1, 8, "string not closed"),
        ("Name = 'x'\n", 1, 1, "xl keys are lowercase"),
        ("name = 'x' memory = 1\n", 1, 12, "expected the end of the line"),
        ("disk = [ 'a' 'b' ]\n", 1, 14, "expected ',' or ']'"),
        ("disk = [ 'a',\n 'b'\n", 1, 8, "list not closed"),
        ("disk = [ , ]\n", 1, 10, "expected a value"),
        ("memory = 512M\n", 1, 13, "unexpected 'M'"),
        ("kernel = os.path.join('a')\n", 1, 22, "not Python"),
        ("x = -1\n", 1, 5, "not Python"),
        ("name = 'a\\x41'\n", 1, 10, "escape '\\x' is not read"),
        ("name = 'a\\012'\n", 1, 10, "escape '\\0' is not read"),
        ("name = 'a'\u{0}\n", 1, 11, "control character U+0000"),
        ("# comment \u{1B}[31m\nname = 'a'\n", 1, 11, "control character U+001B"),
        ("name = 'a'\rseclabel = 'b'\n", 1, 11, "control character U+000D"),
        ("name = 'we b'\n", 1, 8, "holds ' '"),
        ("name = '../etc'\n", 1, 8, "must start with an ASCII letter"),
        ("name = ['a']\n", 1, 8, "must be a single value"),
        ("seclabel = 'a:b:c\\n'\n", 1, 12, "control character U+000A"),
        ("seclabel = ''\n", 1, 12, "is empty"),
        ("uuid = '6f0d8c5e-1b2a-4c3d-9e8f'\n", 1, 8, "is not a UUID"),
        ("device_model_stubdomain_override = 99999999999999999999\n", 1, 36, "must be a number"),
        ("device_model_stubdomain_override = 08\n", 1, 36, "must be a number"),
        ("device_model_stubdomain_override = 'yes'\n", 1, 36, "must be a number"),
        ("device_model_stubdomain_override += 1\n", 1, 37, "+= cannot be used with a number"),
        ("disk = ['a']\ndisk += 'b'\n", 2, 9, "cannot add a list to a string"),
        ("name = 'a'\nseclabel\n", 2, 9, "expected '=' or '+='"),
        (String(repeating: "[", count: 100_000), 1, 1, "expected a key"),
        ("x = " + String(repeating: "[", count: 100_000), 1, 37, "nested deeper than 32"),
    ] as [(String, Int, Int, String)])
    func refusesWithThePlace(text: String, line: Int, column: Int, message: String) throws {
        let error = try #require(refusal(text), "accepted: \(text.prefix(80).debugDescription)")
        #expect(error.message.contains(message), "\(error)")
        #expect(error.location?.file == "g.cfg")
        #expect(error.location?.line == line && error.location?.column == column, "\(error)")
        #expect(!error.description.contains("\n"), "one line")
    }

    @Test func cLongReadsLikeStrtol() {
        #expect(XLConfigFile.cLong("0") == 0 && XLConfigFile.cLong("010") == 8 && XLConfigFile.cLong("0x1F") == 31)
        #expect(XLConfigFile.cLong("-9223372036854775808") == Int64.min && XLConfigFile.cLong("9223372036854775808") == nil)
        #expect(XLConfigFile.cLong("") == nil && XLConfigFile.cLong("0x") == nil && XLConfigFile.cLong("1 ") == nil)
        #expect(XLConfigFile.cLong("  7") == 7, "strtol skips leading blanks")
    }
}
