import CommandTestSupport
import Foundation
import Testing
@testable import ArgusAnalysis
import ArgusCommands
import Flask
import TestSupport

/// `xl list -Z` output as the domains of a live host (`--system-from-xl-list`, `[host] xl_list`),
/// with `xl info` for the boot; and `xl dmesg` as pasted, other lines counted and skipped.
@Suite struct XLListTests {
    let policy = Fixtures.examplePolicyPath

    func withFiles(_ files: [String: String], _ body: (URL) throws -> Void) throws {
        try HostFilesTests().withFiles(files, body)
    }

    @Test func readsTheRealFormat() throws {
        let domains = try XLList.parse(HostFilesTests.xlList, path: "list.txt")
        #expect(domains.map(\.name) == ["dom0", "netvm", "a1", "a1-dm", "b1"], "Domain-0 is dom0")
        #expect(domains.map(\.domid) == [0, 1, 3, 4, 5])
        #expect(domains[0].privileged && domains[0].createdBeforePolicy && !domains[2].privileged && !domains[2].createdBeforePolicy)
        #expect(domains[3].target == "a1" && domains[2].target == nil, "NAME-dm is NAME's stub device model")
        #expect(domains[2].label == "tenant_a_u:vm_r:tenant_a_t")
        let row = HostFilesTests.xlList.split(separator: "\n")[3]
        let column = row.distance(from: row.startIndex, to: try #require(row.range(of: "tenant_a_u")).lowerBound) + 1
        #expect(domains[2].labelLocation == SourceLocation(file: "list.txt", line: 4, column: column))
        // A name longer than the column pushes the others right; a name that is not Domain-0's at id 0 stays.
        let long = String(repeating: "x", count: 45)
        let wide = try XLList.parse("Name ID Mem VCPUs State Time(s) Security Label\n\(long) 12 1 1 ------ 1.0 a:b:c\nDomain-0 7 1 1 ------ 0.0 a:b:c\n",
                                    path: "l")
        #expect(wide.map(\.name) == [long, "Domain-0"] && wide[0].domid == 12)
        // xl list -v: the uuid too (OpenXT's firewall rules can name it).
        let verbose = try XLList.parse("""
            Name                                        ID   Mem VCPUs\tState\tTime(s)   UUID                            Reason-Code\tSecurity Label
            Domain-0                                     0  2048     2     r-----     123.4 00000000-0000-0000-0000-000000000000        - system_u:system_r:dom0_t
            web                                          7   512     1     ---sr-       1.0 6f0d8c5e-1b2a-4c3d-9e8f-0a1b2c3d4e5f        1 tenant_a_u:vm_r:tenant_a_t
            """, path: "v")
        #expect(verbose.map(\.name) == ["dom0", "web"] && verbose[1].uuid == "6f0d8c5e-1b2a-4c3d-9e8f-0a1b2c3d4e5f" && verbose[1].domid == 7)
        #expect(verbose[1].label == "tenant_a_u:vm_r:tenant_a_t")
        let crlf = try XLList.parse(HostFilesTests.xlList.replacingOccurrences(of: "\n", with: "\r\n"), path: "list.txt")
        #expect(crlf == domains)
    }

    @Test(arguments: [
        ("Name ID Mem\n", 1, 1, "expected the header of 'xl list -Z'"),
        ("", 0, 0, "empty"),
        ("\(header)web server 1 1 1 ------ 1.0 a:b:c\n", 2, 1, "holds ' '"),
        ("\(header)(null) 1 1 1 ------ 1.0 a:b:c\n", 2, 1, "must start with an ASCII letter"),
        ("\(header)../x 1 1 1 ------ 1.0 a:b:c\n", 2, 1, "must start with an ASCII letter"),
        ("\(header)web 99999 1 1 ------ 1.0 a:b:c\n", 2, 5, "is not a domid"),
        ("\(header)web 32752 1 1 ------ 1.0 a:b:c\n", 2, 5, "is not a domid"),
        ("\(header)web -1 1 1 ------ 1.0 a:b:c\n", 2, 5, "is not a domid"),
        ("\(header)web 1 99999999999999999999999 1 ------ 1.0 a:b:c\n", 2, 7, "Mem"),
        ("\(header)web 1 1 1 rbx--- 1.0 a:b:c\n", 2, 11, "State"),
        ("\(header)web 1 1 1 ------ 1e9 a:b:c\n", 2, 18, "Time(s)"),
        ("\(header)web 1 1 1 ------ 1.0 -\n", 2, 22, "has no security label"),
        ("\(header)web 1 1 ------ 1.0 a:b:c\n", 2, 1, "six columns"),
        ("\(header)web 1 1 1 ------ 1.0 a:b:c\nweb 2 1 1 ------ 1.0 a:b:c\n", 3, 1, "duplicate domain name 'web'"),
        ("\(header)web 1 1 1 ------ 1.0 a:b:c\ndb 1 1 1 ------ 1.0 a:b:c\n", 3, 1, "duplicate domain ID 1"),
        ("\(header)dom0 1 1 1 ------ 1.0 a:b:c\nDomain-0 0 1 1 ------ 1.0 a:b:c\n", 3, 1, "duplicate domain name 'dom0'"),
        ("\(header)web 1 1 1 ------ 1.0 a:b:c\u{0}\n", 2, 27, "control character U+0000"),
        ("Name ID Mem VCPUs State Time(s) UUID Reason-Code Security Label\nweb 1 1 1 ------ 1.0 6f0d8c5e - a:b:c\n", 2, 22, "is not a UUID"),
        ("Name ID Mem VCPUs State Time(s) UUID Reason-Code Security Label\nweb 1 1 1 ------ 1.0 6f0d8c5e-1b2a-4c3d-9e8f-0a1b2c3d4e5f xyz a:b:c\n", 2, 59, "Reason-Code"),
        ("Name ID Mem VCPUs State Time(s) UUID Reason-Code Security Label\nweb 1 1 1 ------ 1.0 a:b:c\n", 2, 1, "eight columns"),
        ("\(header)web\u{1B}[31m 1 1 1 ------ 1.0 a:b:c\n", 2, 4, "control character U+001B"),
    ] as [(String, Int, Int, String)])
    func refusesWithThePlace(text: String, line: Int, column: Int, message: String) throws {
        let error: InputError
        do { _ = try XLList.parse(text, path: "list.txt"); Issue.record("accepted \(text.debugDescription)"); return } catch let e { error = e }
        #expect(error.message.contains(message), "\(error)")
        if line > 0 { #expect(error.location == SourceLocation(file: "list.txt", line: line, column: column), "\(error)") }
        #expect(!error.description.contains("\n"))
    }

    static let header = "Name                                        ID   Mem VCPUs\tState\tTime(s)   Security Label\n"

    @Test func auditsALiveHost() throws {
        try withFiles(["list.txt": HostFilesTests.xlList, "info.txt": HostFilesTests.xlInfo,
                       "s.toml": "[host]\nxl_list = \"list.txt\"\n[xen]\nxl_info = \"info.txt\"\n"]) { dir in
            let list = dir.appendingPathComponent("list.txt").path, info = dir.appendingPathComponent("info.txt").path
            let r = runArgus(["audit", policy, "--system-from-xl-list", list, "--xl-info", info])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("boot: argo=on mac-permissive=on xsm=flask"), "\(r.out)")
            let lines = r.out.split(separator: "\n")
            let dm = try #require(lines.first { $0.hasPrefix("a1-dm ") })
            #expect(dm.contains(" 4  no ") && dm.hasSuffix("system_u:system_r:dm_dom_t  (device model of a1)"), "\(dm)")
            let dom0 = try #require(lines.first { $0.hasPrefix("dom0 ") })
            #expect(dom0.contains(" 0  yes   yes "), "\(dom0)")
            // The same host through a system file's [host] table.
            let viaFile = runArgus(["audit", policy, "--system", dir.appendingPathComponent("s.toml").path])
            #expect(viaFile.status == 0 && viaFile.out.components(separatedBy: "DOMAIN").last == r.out.components(separatedBy: "DOMAIN").last,
                    "\(viaFile.err)\n\(viaFile.out)")
            // The example system file describes the same domains and boot: the same answer.
            let query = runArgus(["query", policy, "--system-from-xl-list", list, "--xl-info", info, "--from", "netvm", "--to", "a1"])
            let stated = runArgus(["query", policy, "--system", Fixtures.exampleSystemPath, "--from", "netvm", "--to", "a1"])
            #expect(query.status == stated.status && query.out == stated.out && !query.out.isEmpty, "\(query.err)\n\(query.out)")
            // Without xl info the boot is unknown: refused, not guessed.
            let noInfo = runArgus(["audit", policy, "--system-from-xl-list", list])
            #expect(noInfo.status == 2 && noInfo.err.hasPrefix("option --system-from-xl-list: error: needs --xl-info FILE"), "\(noInfo.err)")
            let both = runArgus(["audit", policy, "--system-from-xl-list", list, "--system", list])
            #expect(both.status == 2 && both.err.contains("not both") && both.err.split(separator: "\n").count == 1, "\(both.err)")
            let neither = runArgus(["audit", policy])
            #expect(neither.status == 2 && neither.err.contains("--system <file>") && neither.err.split(separator: "\n").count == 1, "\(neither.err)")
            // A bad line is placed in the list file.
            try Data((Self.header + "web 1 1 1 ------ 1.0 -\n").utf8).write(to: URL(fileURLWithPath: list))
            let bad = runArgus(["audit", policy, "--system-from-xl-list", list, "--xl-info", info, "--format", "json"])
            #expect(bad.status == 2 && bad.out.isEmpty && bad.err.hasPrefix("\(list):2:22: error: domain 1 has no security label"), "\(bad.err)")
        }
    }

    /// lint, exposure and diff take a live host too: the same answers as the system file that
    /// names the same `xl list` and `xl info` ([host] xl_list, [xen] xl_info).
    @Test func lintExposureAndDiffTakeALiveHost() throws {
        try withFiles(["list.txt": HostFilesTests.xlList, "info.txt": HostFilesTests.xlInfo,
                       "s.toml": "[host]\nxl_list = \"list.txt\"\n[xen]\nxl_info = \"info.txt\"\n"]) { dir in
            let list = dir.appendingPathComponent("list.txt").path, info = dir.appendingPathComponent("info.txt").path
            let system = dir.appendingPathComponent("s.toml").path
            let commands: [(name: String, live: [String], file: [String])] = [
                ("lint", ["lint", policy, "--format", "json"], ["lint", policy, "--format", "json"]),
                ("exposure", ["exposure", policy, "--format", "json"], ["exposure", policy, "--format", "json"]),
                ("diff", ["diff", policy, Fixtures.examplePolicyPath, "--format", "json"], ["diff", policy, Fixtures.examplePolicyPath, "--format", "json"]),
            ]
            for command in commands {
                let live = runArgus(command.live + ["--system-from-xl-list", list, "--xl-info", info])
                let file = runArgus(command.file + ["--system", system])
                #expect(live.status == file.status && live.err.isEmpty && !live.out.isEmpty, "\(command.name): \(live.err)")
                #expect(live.out.replacingOccurrences(of: list, with: "HOST") == file.out.replacingOccurrences(of: system, with: "HOST"),
                        "\(command.name):\n\(live.out)\n---\n\(file.out)")
                // The boot of a live host is in xl info: refused without it, and with both sources.
                let noInfo = runArgus(command.live + ["--system-from-xl-list", list])
                #expect(noInfo.status == 2 && noInfo.err.hasPrefix("option --system-from-xl-list: error: needs --xl-info FILE"),
                        "\(command.name): \(noInfo.err)")
                let both = runArgus(command.live + ["--system-from-xl-list", list, "--xl-info", info, "--system", system])
                #expect(both.status == 2 && both.out.isEmpty && both.err.contains("not both") && both.err.split(separator: "\n").count == 1,
                        "\(command.name): \(both.err)")
            }
            let neither = runArgus(["diff", policy, policy])
            #expect(neither.status == 2 && neither.err.contains("--system <file>") && neither.err.split(separator: "\n").count == 1, "\(neither.err)")
            let html = runArgus(["exposure", policy, "--format", "html", "--system-from-xl-list", list, "--xl-info", info])
            #expect(html.status == 2 && html.err.contains("not with --system"), "\(html.err)")
        }
    }

    /// A FIFO, /dev/zero or a directory as a host file: refused before any read, never a hang.
    @Test func specialFilesAreRefused() throws {
        try withFiles(["info.txt": HostFilesTests.xlInfo, "list.txt": HostFilesTests.xlList, "vms/a.cfg": "name = 'a'\n"]) { dir in
            let fifo = dir.appendingPathComponent("fifo").path
            #expect(mkfifo(fifo, 0o600) == 0)
            let zero = dir.appendingPathComponent("vms/zero.cfg").path
            try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
            let info = dir.appendingPathComponent("info.txt").path
            for list in [fifo, "/dev/zero", dir.path] {
                let r = runArgus(["audit", policy, "--system-from-xl-list", list, "--xl-info", info])
                #expect(r.status == 2 && r.err.hasPrefix("\(list): error: ") && r.err.split(separator: "\n").count == 1, "\(r.err)")
            }
            let r = runArgus(["audit", policy, "--system-from-xl-list", dir.appendingPathComponent("list.txt").path, "--xl-info", fifo])
            #expect(r.status == 2 && r.err.hasPrefix("\(fifo): error: not a regular file"), "\(r.err)")
            let system = dir.appendingPathComponent("s.toml").path
            try Data("xl_dir = \"vms\"\n".utf8).write(to: URL(fileURLWithPath: system))
            let dirRun = runArgus(["audit", policy, "--system", system])
            #expect(dirRun.status == 2 && dirRun.err.hasPrefix("\(system):1:10: error: xl config 'vms/zero.cfg': not a regular file"), "\(dirRun.err)")
        }
    }

    /// xl info pasted with CRLF reads like LF: a CR left in the command line would turn argo=1 off.
    @Test func xlInfoWithCRLF() throws {
        let info = try XLInfo.parse(HostFilesTests.xlInfo.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n", path: "i")
        #expect(info.commandLine?.hasSuffix("flask=enforcing") == true)
        #expect(throws: InputError.self) { try XLInfo.parse("xen_version : 4.19.1\u{0}\n", path: "i") }
    }

    @Test func explainLogCountsWhatItSkips() throws {
        let log = """
            (XEN) [2026-11-30 12:00:00.123] Xen version 4.19.1
            (XEN) [   12.401122] avc:  denied  { send } for source=d5 target=d3 scontext=tenant_b_u:vm_r:tenant_b_t tcontext=tenant_a_u:vm_r:tenant_a_t tclass=argo
            (d3) avc:  denied  { send } for source=d5 target=d3 scontext=tenant_b_u:vm_r:tenant_b_t tcontext=tenant_a_u:vm_r:tenant_a_t tclass=argo
            [   13.000000] audit: type=1400 audit(1700000000.1:2): avc:  denied  { read } for  pid=1 comm="init" tclass=file permissive=0
            [   13.500000] avc:  denied  { read } for  pid=12 comm="my prog" name="a b" scontext=u:r:t tcontext=u:r:t tclass=file permissive=0
            (XEN) [   14.000000] avc:  denied  { setvcpucontext } for domid=3 scontext=a:b:c tcontext=d:e:f tclass=domain
            <4>[   15.000000] xen:balloon: Initialising balloon driver
            (XEN) <G><4>[   16.000000] avc:  granted  { register_any_source } for current=d0 scontext=system_u:system_r:dom0_t tcontext=system_u:system_r:xen_t tclass=argo

            """
        try withFiles(["console.log": log]) { dir in
            let path = dir.appendingPathComponent("console.log").path
            let text = runArgus(["explain-log", policy, "--system", Fixtures.exampleSystemPath, path])
            #expect(text.status == 1, "\(text.err)")
            #expect(text.out.hasSuffix("8 lines: 2 argo AVC records (1 denied, 1 granted), 2 other AVC records skipped (domain 1, file 1), 4 other lines skipped, 0 malformed\n"),
                    "\(text.out)")
            #expect(!text.out.contains("\(path):3:"), "a guest's console line is never read as Xen's record")
            let json = runArgus(["explain-log", policy, "--system", Fixtures.exampleSystemPath, path, "--format", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
            #expect(object["skippedLines"] as? Int == 4 && object["lines"] as? Int == 8 && object["argoRecords"] as? Int == 2)
            #expect((object["malformed"] as? [Any])?.isEmpty == true)
        }
        let parsed = AVCLogParser.parse(log, path: "c")
        #expect(parsed.otherLines == 4 && parsed.otherClasses == ["domain": 1, "file": 1] && parsed.records.count == 2)
    }
}
