import ArgoEngine
import CommandTestSupport
import Foundation
import Testing
@testable import ArgusAnalysis
import ArgusCommands
import Flask
import TestSupport
import XenProfile

/// The system file and the Xen command line: every error names the file and line.
@Suite struct SystemFileTests {
    func inventoryError(_ toml: String, extra: [String: String] = [:]) throws -> InputError? {
        let policy = try Fixtures.examplePolicy()
        return try Fixtures.withTemporaryDirectory { dir -> InputError? in
            for (name, text) in extra { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
            let path = dir.appendingPathComponent("system.toml").path
            try toml.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                let inventory = try SystemInventory.load(path)
                _ = try ResolvedSystem(inventory: inventory, policy: policy)
                return nil
            } catch let error as InputError {
                #expect(error.location?.file.hasSuffix(".toml") == true || error.location?.file.hasSuffix(".cfg") == true, "\(error)")
                return error
            }
        }
    }

    let dom0 = "[[domain]]\nname = \"dom0\"\ndomid = 0\nlabel = \"system_u:system_r:dom0_t\"\n"

    @Test func rejectsBadInventoriesWithTheLine() throws {
        let cases: [(String, String, Int)] = [
            (dom0 + "colour = \"red\"\n", "unknown key 'colour'", 5),
            ("[boot]\nargo = 1\n", "'argo' must be true or false", 2),
            ("[boot]\nxsm = \"selinux\"\n", "xsm must be flask, dummy or silo", 2),
            (dom0 + dom0, "duplicate domain name 'dom0'", 6),
            (dom0 + "[[domain]]\nname = \"x\"\ndomid = 0\nlabel = \"system_u:system_r:dom0_t\"\n", "duplicate domid 0", 7),
            (dom0 + "[[domain]]\nname = \"x\"\ndomid = 1\nlabel = \"system_u:system_r:dm_dom_t\"\ntarget = \"ghost\"\n", "unknown target domain 'ghost'", 9),
            (dom0 + "[[domain]]\nname = \"x\"\ndomid = 32752\nlabel = \"system_u:system_r:dom0_t\"\n", "out of range", 7),
            (dom0 + "[[domain]]\nname = \"x\"\ndomid = 2\nlabel = \"system_u:system_r:nosuch_t\"\n", "unknown type 'nosuch_t'", 8),
            (dom0 + "[[domain]]\nname = \"x\"\ndomid = 2\nlabel = \"tenant_a_u:vm_r:dom0_t\"\n", "not authorised for role", 8),
            ("[[domain]]\nname = \"x\"\nlabel = \"system_u:system_r:dom0_t\"\n", "needs a domid", 1),
            ("[[domain\nname = 1", "expected ']]' to close", 1),
        ]
        for (toml, message, line) in cases {
            let error = try #require(try inventoryError(toml), "accepted: \(toml)")
            #expect(error.message.contains(message), "\(error)")
            #expect(error.location?.line == line, "\(message): \(error)")
        }
    }

    @Test func xlConfigsProvideNameAndLabel() throws {
        let cfg = "# tenant\nname = \"web\"\nseclabel = 'tenant_b_u:vm_r:tenant_b_t' # label\nmemory = 512\n"
        try Fixtures.withTemporaryDirectory { dir in
            try cfg.write(to: dir.appendingPathComponent("web.cfg"), atomically: true, encoding: .utf8)
            let path = dir.appendingPathComponent("s.toml").path
            try (dom0 + "[[domain]]\nxl = \"web.cfg\"\ndomid = 9\n").write(toFile: path, atomically: true, encoding: .utf8)
            let inv = try SystemInventory.load(path)
            #expect(inv.domains.map(\.name) == ["dom0", "web"])
            #expect(inv.domains[1].label == "tenant_b_u:vm_r:tenant_b_t")
            #expect(inv.domains[0].privileged && !inv.domains[1].privileged)
        }
        let broken = try #require(try inventoryError(dom0 + "[[domain]]\nxl = \"b.cfg\"\ndomid = 3\n", extra: ["b.cfg": "name = web\n"]))
        #expect(broken.message.contains("expected a value: a quoted string, a number or a [list]"), "\(broken)")
        #expect(broken.location?.column == 8)
        #expect(broken.location?.line == 1)
    }

    @Test func auditCommandFailsWithStatusTwo() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("bad.toml").path
            try (dom0 + "typo = true\n").write(toFile: path, atomically: true, encoding: .utf8)
            let out = dir.appendingPathComponent("audit.json").path
            let r = runArgus(["audit", Fixtures.examplePolicyPath, "--system", path, "--format", "json", "-o", out])
            #expect(r.status == 2)
            #expect(r.err == "\(path):5:1: error: unknown key 'typo' in [domain] (expected one of: argo_devices, argo_firewall_rules, build_label, created_before_policy, domid, file_contexts, label, name, privileged, ring, seamless, selinux_policy, stubdom, target, uuid, vm_type, xl)\n")
            #expect(!FileManager.default.fileExists(atPath: out), "no partial output file on error")
            #expect(runArgus(["audit", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath, "--bool", "nosuch=true"]).status == 2)
            #expect(runArgus(["audit", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath, "--bool", "x"]).status == 2)
            #expect(runArgus(["audit", Fixtures.examplePolicyPath]).status == 2, "missing --system is a usage error")
        }
    }

    /// Xen's own parser, quirks included.
    @Test func xenCommandLine() {
        func parse(_ s: String) -> BootParameters { XenCommandLine.parse(s).0 }
        #expect(parse("argo=1").argo)
        #expect(!parse("argo").argo, "a bare argo leaves Argo off")
        #expect(!XenCommandLine.parse("argo").1.isEmpty, "and Xen complains about it")
        #expect(!parse("argo=1 no-argo").argo)
        #expect(parse("argo=yes,mac-permissive").macPermissive)
        #expect(parse("argo=on,mac-permissive=1").argo)
        #expect(!parse("argo=1,no-mac-permissive").macPermissive)
        #expect(!parse("argo=1 mac-permissive=1").macPermissive, "mac-permissive is only understood inside argo=")
        #expect(parse("argo=true,bogus,mac-permissive").argo, "items before and after a bad one still apply")
        #expect(parse("argo=0,1").argo, "last wins")
        #expect(!parse("argo=enable,disable").argo)
        #expect(!parse("argo=\"1\"").argo, "no quoting in Xen's parser")
        #expect(parse("xsm=silo").xsm == .silo)
        #expect(parse("flask=permissive").flask == .permissive)
        #expect(parse("flask=disabled").flask == .disabled, "flask= only records FLASK's mode; the module is xsm='s")
        #expect(parse("flask=disabled").xsm == nil)
        #expect(parse("xsm=silo xsm=bogus").xsm == .silo, "an unknown xsm= value is refused and leaves the previous one")
        #expect(XenCommandLine.parse("no-argo=1").1.count == 1)
    }
}
