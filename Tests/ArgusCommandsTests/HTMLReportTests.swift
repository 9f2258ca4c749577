import CommandTestSupport
import Foundation
import Testing
import ArgusAnalysis
import ArgusCommands
import TestSupport

/// `argus audit --format html`: structure checks on the example, escaping of hostile names,
/// and (opt-in: ARGUS_TEST_CHROMIUM=1, needs Debian's chromium) a headless render.
@Suite struct HTMLReportTests {
    let policy = Fixtures.examplePolicyPath
    let system = Fixtures.exampleSystemPath
    static let names = ["dom0", "netvm", "uivm", "a1", "a2", "b1", "isolated", "stub-a1"]

    func html(system: String) -> (status: Int32, out: String, err: String) {
        runArgus(["audit", policy, "--system", system, "--format", "html"])
    }

    /// The text of the `<script type="application/json">` element, decoded.
    func embeddedJSON(_ html: String) throws -> [String: Any] {
        let open = #"<script type="application/json" id="argus-data">"#
        let start = try #require(html.range(of: open))
        let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let text = String(html[start.upperBound..<end.lowerBound])
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func exampleHasEveryDomainCellAndExplanation() throws {
        let r = html(system: system)
        #expect(r.status == 0, "\(r.err)")
        let page = r.out
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        for name in Self.names {
            #expect(page.contains(">\(name)<"), "missing \(name)")
        }
        let n = Self.names.count
        let cells = page.components(separatedBy: "<td class=\"cell h").count - 1
        #expect(cells == n * n, "one matrix cell per ordered pair")
        for i in 0..<n { for j in 0..<n { #expect(page.contains("data-s=\"\(i)\" data-t=\"\(j)\" title=")) } }
        #expect(!page.contains("http://") && !page.contains("https://"), "self-contained: no network references")
        #expect(!page.contains("<link") && !page.contains(" src="), "no external stylesheet or script")
        #expect(page.contains("<svg class=\"graph\""))
        // 18 channels in the example, 2 of them a domain to itself (not drawn).
        #expect(page.components(separatedBy: "<path class=\"edge\"").count - 1 == 16)
        #expect(page.contains("class=\"card noargo\" data-d=\"7\""), "stub-a1 has no Argo: greyed")
        let json = try embeddedJSON(page)
        #expect(json["domains"] as? [String] == Self.names)
        let cellData = try #require(json["cells"] as? [[String: Any]])
        #expect(cellData.count == n * n)
        // netvm -> a1 is a channel; a1 -> b1 is not, and the explanation says why.
        #expect((cellData[1 * n + 3]["flows"] as? [String])?.contains("channel") == true)
        let denied = try #require(cellData[3 * n + 5]["channel"] as? [[String: Any]])
        #expect(denied.contains { ($0["allowed"] as? Bool) == false })
        #expect("\(denied)".contains("constrain"))
    }

    /// A system file can no longer name a domain with markup (names are identifiers, exit 2);
    /// the page still escapes every name it is given, as defence in depth.
    @Test func hostileNamesAreEscaped() throws {
        let hostile = "</script><script>alert('x')</script>&"
        try Fixtures.withTemporaryDirectory { dir in
            let text = try String(contentsOfFile: system, encoding: .utf8)
                .replacingOccurrences(of: "name = \"b1\"", with: "name = \"\(hostile)\"")
                .replacingOccurrences(of: "xl = \"vms/", with: "xl = \"\(Fixtures.root.path)/examples/vms/")
            let path = dir.appendingPathComponent("hostile.toml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let refused = html(system: path)
            #expect(refused.status == 2 && refused.out.isEmpty, "\(refused.err)")
            #expect(refused.err.contains("domain name"), "\(refused.err)")
        }
        var inventory = try SystemInventory.load(system)
        let b1 = try #require(inventory.domains.firstIndex { $0.name == "b1" })
        inventory.domains[b1].name = hostile
        let page = AuditHTMLRenderer.render(ArgoAudit(try ResolvedSystem(inventory: inventory, policy: try Fixtures.examplePolicy())),
                                            policyPath: policy)
        #expect(!page.contains("<script>alert"), "the name never appears as markup")
        #expect(page.contains("&lt;/script&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"))
        #expect(page.components(separatedBy: "</script>").count - 1 == 2, "only the two real script elements close")
        let json = try embeddedJSON(page)
        #expect((json["domains"] as? [String])?[b1] == hostile)
    }

    @Test func escapingHelpers() {
        #expect(HTMLText.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(HTMLText.scriptSafeJSON(#"{"a":"</script><!--&"}"#) == #"{"a":"\u003c/script\u003e\u003c!--\u0026"}"#)
    }

    /// Opt-in (ARGUS_TEST_CHROMIUM=1): `make test` does not install chromium; `make report` does.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ARGUS_TEST_CHROMIUM"] == "1",
                   "opt-in: set ARGUS_TEST_CHROMIUM=1 with Debian's chromium installed"))
    func chromiumRendersIt() throws {
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "ARGUS_TEST_CHROMIUM=1 but no chromium: apt-get install -y chromium")
        try Fixtures.withTemporaryDirectory { dir in
            let page = dir.appendingPathComponent("audit.html"), shot = dir.appendingPathComponent("audit.png")
            try html(system: system).out.write(to: page, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--screenshot=\(shot.path)",
                                 "--window-size=1400,1000", page.absoluteString]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let png = try #require(FileManager.default.contents(atPath: shot.path))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
            #expect(png.count > 20_000, "a blank page compresses far smaller: \(png.count) bytes")
            // The page's own script ran: the DOM dump shows the panel filled in for the first cell.
            let dump = Process()
            let pipe = Pipe()
            dump.executableURL = URL(fileURLWithPath: chromium)
            dump.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.absoluteString]
            dump.standardOutput = pipe
            dump.standardError = FileHandle.nullDevice
            try dump.run()
            let dom = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            dump.waitUntilExit()
            #expect(dom.contains("<h3>channel yes</h3>"), "the inline script rendered an explanation")
        }
    }
}
