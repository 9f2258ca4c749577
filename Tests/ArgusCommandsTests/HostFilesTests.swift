import CommandTestSupport
import Foundation
import Testing
@testable import ArgusAnalysis
import ArgusCommands
import Flask
import TestSupport

/// The host's own files as inputs (issue 12): xl configs listed by a system file, with their
/// stub domains, build labels and domids; `xl list -Z` output; `xl info` beside it.
@Suite struct HostFilesTests {
    let policy = Fixtures.examplePolicyPath
    static let dom0 = "[[domain]]\nname = \"dom0\"\ndomid = 0\nlabel = \"system_u:system_r:dom0_t\"\n"
    static let xlInfo = """
        host                   : h1
        xen_version            : 4.22-unstable
        xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32
        xen_commandline        : placeholder dom0_mem=2048M argo=1,mac-permissive=1 xsm=flask flask=enforcing
        """
    static let xlList = """
        Name                                        ID   Mem VCPUs\tState\tTime(s)   Security Label
        Domain-0                                     0  2048     2     r-----     123.4 system_u:system_r:dom0_t
        netvm                                        1   512     1     -b----      12.0 system_u:system_r:netvm_t
        a1                                           3  2048     2     -b----      50.1 tenant_a_u:vm_r:tenant_a_t
        a1-dm                                        4    44     1     -b----       1.2 system_u:system_r:dm_dom_t
        b1                                           5  1024     1     --p---       0.0 tenant_b_u:vm_r:tenant_b_t

        """

    /// Writes `files` (relative path → text) into a fresh directory and runs `body` with it.
    func withFiles(_ files: [String: String], _ body: (URL) throws -> Void) throws {
        try Fixtures.withTemporaryDirectory { dir in
            for (name, text) in files {
                let url = dir.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
            try body(dir)
        }
    }

    @Test func systemFileListsXLConfigsOnly() throws {
        let files = [
            "system.toml": "xl = [\"a.cfg\"]\nxl_dir = \"vms\"\n\n[boot]\ncmdline = \"argo=1 xsm=flask\"\n\n" + Self.dom0
                + "[[domain]]\nname = \"netvm\"\ndomid = 1\nlabel = \"system_u:system_r:netvm_t\"\n",
            "a.cfg": "name = 'a'\nseclabel = 'tenant_a_u:vm_r:tenant_a_t'\n",
            "vms/b.cfg": "name = 'b'\ntype = 'hvm'\nseclabel = 'tenant_b_u:vm_r:tenant_b_t'\ndevice_model_stubdomain_override = 1\n",
            "vms/c.cfg": "name = 'c'\ntype = 'pvh'\ndevice_model_stubdomain_override = 1\n",
            "vms/.d.cfg": "name = 'hidden'\n",
            "vms/notes.txt": "not a config",
        ]
        try withFiles(files) { dir in
            let inventory = try SystemInventory.load(dir.appendingPathComponent("system.toml").path)
            #expect(inventory.domains.map(\.name) == ["dom0", "netvm", "a", "b", "c", "b-dm"])
            // Xen's domid_alloc, in creation order: the stub domain right after its guest.
            #expect(inventory.domains.map(\.domid) == [0, 1, 2, 3, 5, 4])
            let stub = inventory.domains[5]
            #expect(stub.target == "b" && stub.initialSIDLabel == "domDM" && stub.guestType == .pv && !stub.privileged)
            #expect(inventory.domains[4].initialSIDLabel == "domU", "no seclabel: libxl's domU initial SID")
            #expect(inventory.domains[4].guestType == .pvh && !inventory.domains.contains { $0.name == "c-dm" }, "no stub domain for pvh")
            let system = try ResolvedSystem(inventory: inventory, policy: try Fixtures.examplePolicy())
            #expect(system.domains[5].label == "system_u:system_r:dm_dom_t", "the policy's domDM context")
            #expect(system.domains[4].label == "system_u:system_r:isolated_t", "the policy's domU context")
            let r = runArgus(["audit", policy, "--system", dir.appendingPathComponent("system.toml").path, "--format", "json"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains(#""name": "b-dm", "domid": 4, "label": "system_u:system_r:dm_dom_t""#) && r.out.contains(#""target": "b""#))
        }
    }

    @Test func statedDomidsAreNeverHandedOut() throws {
        let files = [
            "s.toml": "xl = [\"a.cfg\", \"b.cfg\"]\n" + Self.dom0 + "[[domain]]\nxl = \"x.cfg\"\n"
                + "[[domain]]\nname = \"n\"\ndomid = 2\nlabel = \"system_u:system_r:netvm_t\"\n",
            "x.cfg": "name = 'x'\nseclabel = 'tenant_a_u:vm_r:tenant_a_t'\n",
            "a.cfg": "name = 'a'\ntype = 'hvm'\ndevice_model_stubdomain_override = 1\n",
            "b.cfg": "name = 'b'\n",
        ]
        try withFiles(files) { dir in
            let inventory = try SystemInventory.load(dir.appendingPathComponent("s.toml").path)
            let domids = Dictionary(uniqueKeysWithValues: inventory.domains.map { ($0.name, $0.domid) })
            #expect(domids == ["dom0": 0, "x": 1, "n": 2, "a": 3, "a-dm": 4, "b": 5])
        }
    }

    @Test func systemFileRefusalsArePlaced() throws {
        let cases: [(files: [String: String], place: String, message: String)] = [
            (["s.toml": "xl = \"a.cfg\"\n"], "s.toml:1:6", "'xl' must be an array"),
            (["s.toml": "xl = [1]\n"], "s.toml:1:7", "'xl' must hold strings"),
            (["s.toml": "xl = [\"none.cfg\"]\n"], "s.toml:1:7", "xl config 'none.cfg': no such file"),
            (["s.toml": "xl = [\"vms\"]\n", "vms/x.cfg": "name = 'x'\n"], "s.toml:1:7", "is a directory"),
            (["s.toml": "xl_dir = \"nowhere\"\n"], "s.toml:1:10", "not a readable directory"),
            (["s.toml": "xl = [\"a.cfg\"]\n", "a.cfg": "seclabel = 'x:y:z'\n"], "a.cfg", "no 'name'"),
            (["s.toml": "xl = [\"a.cfg\", \"b.cfg\"]\n", "a.cfg": "name = 'a'\n", "b.cfg": "name = 'a'\n"], "b.cfg:1:8", "duplicate domain name 'a'"),
            (["s.toml": "xl = [\"a.cfg\"]\n" + Self.dom0, "a.cfg": "name = 'dom0'\n"], "a.cfg:1:8", "duplicate domain name 'dom0'"),
            (["s.toml": "xl = [\"a.cfg\", \"b.cfg\"]\n", "a.cfg": "name = 'a'\nuuid = '6f0d8c5e-1b2a-4c3d-9e8f-0a1b2c3d4e5f'\n",
              "b.cfg": "name = 'b'\nuuid = '6F0D8C5E-1B2A-4C3D-9E8F-0A1B2C3D4E5F'\n"], "b.cfg:1:8", "duplicate uuid"),
            (["s.toml": "xl = [\"a.cfg\"]\n", "a.cfg": "name = '\(String(repeating: "n", count: 62))'\ntype = 'hvm'\ndevice_model_stubdomain_override = 1\n"],
             "a.cfg:3:36", "at most 64 characters"),
            (["s.toml": "xl = [\"a.cfg\", \"b.cfg\"]\n", "a.cfg": "name = 'a'\ntype = 'hvm'\ndevice_model_stubdomain_override = 1\n",
              "b.cfg": "name = 'a-dm'\n"], "a.cfg:3:36", "duplicate domain name 'a-dm'"),
            (["s.toml": "xl = [\"a.cfg\", \"a.cfg\"]\n", "a.cfg": "name = 'a'\n"], "a.cfg:1:8", "duplicate domain name 'a'"),
            (["s.toml": "[host]\nxl_list = \"none.txt\"\n"], "s.toml:2:11", "xl list file 'none.txt': no such file"),
            (["s.toml": "[host]\nxl = 1\n"], "s.toml:2:1", "unknown key 'xl' in [host]"),
            (["s.toml": "xl = [\"a.cfg\"]\n", "a.cfg": "name = 'a'\ninit_seclabel = 'system_u:system_r:nosuch_t'\nseclabel = 'tenant_a_u:vm_r:tenant_a_t'\n"],
             "a.cfg:2:17", "init_seclabel: "),
        ]
        for (files, place, message) in cases {
            try withFiles(files) { dir in
                let r = runArgus(["audit", policy, "--system", dir.appendingPathComponent("s.toml").path])
                #expect(r.status == 2 && r.out.isEmpty, "\(files): \(r.err)")
                #expect(r.err.hasPrefix(dir.appendingPathComponent(place).path + ":") || r.err.hasPrefix(dir.appendingPathComponent(place).path + " "),
                        "\(message): \(r.err)")
                #expect(r.err.contains(message) && r.err.split(separator: "\n").count == 1, "\(r.err)")
            }
        }
    }

    /// The example's a1 asks for a stub domain, and the system file names it (stub-a1): no a1-dm.
    @Test func statedDeviceModelIsTheStubDomain() throws {
        let inventory = try SystemInventory.load(Fixtures.exampleSystemPath)
        #expect(!inventory.domains.contains { $0.name == "a1-dm" })
        #expect(inventory.domains.filter { $0.target == "a1" }.map(\.name) == ["stub-a1"])
        #expect(inventory.domains.first { $0.name == "a1" }?.guestType == .hvm)
        let files = [
            "s.toml": Self.dom0 + "[[domain]]\nxl = \"a.cfg\"\n[[domain]]\nname = \"stub\"\ndomid = 9\nlabel = \"system_u:system_r:isolated_t\"\ntarget = \"a\"\n",
            "a.cfg": "name = 'a'\ntype = 'hvm'\ndevice_model_stubdomain_override = 1\ndevice_model_stubdomain_seclabel = 'system_u:system_r:dm_dom_t'\n",
        ]
        try withFiles(files) { dir in
            let r = runArgus(["audit", policy, "--system", dir.appendingPathComponent("s.toml").path])
            #expect(r.status == 2 && r.err.hasPrefix(dir.appendingPathComponent("s.toml").path + ":10:9: error: the device model of 'a' ('stub') is labelled"), "\(r.err)")
            #expect(r.err.contains("its xl config labels the stub domain 'system_u:system_r:dm_dom_t' (\(dir.appendingPathComponent("a.cfg").path):4:36)"), "\(r.err)")
        }
    }

    func system(initLabel: String?, label: String, stub: Bool = false) throws -> (ResolvedSystem, String) {
        var cfg = "name = 'g'\ntype = 'hvm'\nseclabel = '\(label)'\n"
        if let initLabel { cfg += "init_seclabel = '\(initLabel)'\n" }
        if stub { cfg += "device_model_stubdomain_override = 1\n" }
        var out: (ResolvedSystem, String)?
        let uivm = "[[domain]]\nname = \"uivm\"\ndomid = 2\nlabel = \"system_u:system_r:uivm_t\"\n"
        try withFiles(["s.toml": "xl = [\"g.cfg\"]\n[boot]\ncmdline = \"argo=1 xsm=flask\"\n" + Self.dom0 + uivm, "g.cfg": cfg]) { dir in
            let path = dir.appendingPathComponent("s.toml").path
            let resolved = try ResolvedSystem(inventory: try SystemInventory.load(path), policy: try Fixtures.examplePolicy())
            let query = runArgus(["query", policy, "--system", path, "--from", "g", "--perm", "argo"])
            out = (resolved, query.out)
        }
        return try #require(out)
    }

    /// argo_init runs at creation with the build label; later calls check the running label.
    @Test func buildLabelDecidesTheArgoState() throws {
        let tenant = "tenant_a_u:vm_r:tenant_a_t", dm = "system_u:system_r:dm_dom_t"   // dm_dom_t may not enable
        // Domains: dom0, uivm (stated 2), g (handed domid 1). uivm may send to tenant guests.
        let (plain, _) = try system(initLabel: nil, label: tenant)
        #expect(plain.domains.map(\.name) == ["dom0", "uivm", "g"] && plain.domains[2].domid == 1)
        #expect(ArgoAudit(plain).domains[2].argo && !plain.hasBuildLabel(2))
        #expect(ArgoAudit(plain).has(.send, 1, 2), "uivm reaches a tenant guest built with its own label")
        let (builtAsDM, text) = try system(initLabel: dm, label: tenant)
        #expect(builtAsDM.domains[2].buildLabel == dm && builtAsDM.hasBuildLabel(2))
        #expect(!ArgoAudit(builtAsDM).domains[2].argo, "no Argo state: argo_init denied for the build label")
        #expect(!ArgoAudit(builtAsDM).has(.send, 1, 2), "and nobody can reach it (-ECONNREFUSED)")
        #expect(text.contains("created with init_seclabel \(dm): argo_init checks enable with that label"), "\(text)")
        #expect(text.contains("at creation: flask: avc_has_perm(\(dm) -> "), "\(text)")
        #expect(text.contains("g has no Argo state"), "\(text)")
        let (runsAsDM, text2) = try system(initLabel: tenant, label: dm)
        let audit = ArgoAudit(runsAsDM)
        #expect(audit.domains[2].argo, "state from the build label")
        #expect(!audit.has(.send, 2, 0) && !audit.has(.registerSingleSource, 2, 1) && !audit.domains[2].registerAnySource,
                "but its own calls fail the enable check")
        #expect(text2.contains("relabelled to \(dm) before it runs: every Argo call checks enable again"), "\(text2)")
        #expect(text2.contains("its calls fail at the enable check"), "\(text2)")
        // init_seclabel alone is the label for good (xl relabels only when seclabel is given too).
        let alone = try XLConfig.parse("name = 'g'\ninit_seclabel = '\(dm)'\n", path: "g.cfg")
        var spec = DomainSpec(name: "g", domid: 1, label: "")
        spec.apply(alone, labelGiven: false)
        #expect(spec.label == dm && spec.buildLabel == nil)
    }

    /// Xen computes the device model's target SID while the guest still has its build label,
    /// and does not recompute it when the guest is relabelled.
    @Test func deviceModelTargetSIDComesFromTheBuildLabel() throws {
        let (plain, _) = try system(initLabel: nil, label: "tenant_a_u:vm_r:tenant_a_t", stub: true)
        let (built, _) = try system(initLabel: "system_u:system_r:isolated_t", label: "tenant_a_u:vm_r:tenant_a_t", stub: true)
        for s in [plain, built] { #expect(s.domains.map(\.name) == ["dom0", "uivm", "g", "g-dm"]) }
        func targetType(_ s: ResolvedSystem) throws -> String {
            let dm = try #require(s.index(ofDomain: "g-dm")), g = try #require(s.index(ofDomain: "g"))
            let context = try #require(s.table.context(of: s.targetSID(dm, g)))
            return s.policy.typeName(context.type)
        }
        #expect(try targetType(plain) == "tenant_a_t_target")
        #expect(try targetType(built) != "tenant_a_t_target")
        let g = try #require(built.index(ofDomain: "g")), dm = try #require(built.index(ofDomain: "g-dm"))
        #expect(built.targetSIDRole(dm, g).contains("computed from g's build label"))
    }

    @Test func auditShowsTheBuildLabelAndSimulateModelsTheRelabel() throws {
        let files = [
            "s.toml": "xl = [\"g.cfg\"]\n[boot]\ncmdline = \"argo=1 xsm=flask\"\n" + Self.dom0
                + "[[domain]]\nname = \"netvm\"\ndomid = 1\nlabel = \"system_u:system_r:netvm_t\"\n",
            "g.cfg": "name = 'g'\nseclabel = 'tenant_a_u:vm_r:tenant_a_t'\ninit_seclabel = 'system_u:system_r:dm_dom_t'\n",
            // Built as dm_dom_t (may not enable): no Argo state, so its register (which its
            // running label may make: enable and register_single_source for netvm pass) fails
            // with ENODEV, found after the XSM check as in argo.c.
            "s.yaml": "steps:\n  - {op: register, domain: g, aport: 1, partner: netvm, len: 4032, expect: -ENODEV}\n",
        ]
        try withFiles(files) { dir in
            let path = dir.appendingPathComponent("s.toml").path
            let json = runArgus(["audit", policy, "--system", path, "--format", "json"])
            #expect(json.status == 0 && json.out.contains(#""label": "tenant_a_u:vm_r:tenant_a_t", "build_label": "system_u:system_r:dm_dom_t", "argo": false"#), "\(json.out)")
            let text = runArgus(["audit", policy, "--system", path])
            #expect(text.out.contains("(built as system_u:system_r:dm_dom_t: Argo state decided with it)"), "\(text.out)")
            let sim = runArgus(["simulate", policy, "--system", path, "--scenario", dir.appendingPathComponent("s.yaml").path,
                                "--trace", "-", "--format", "json"])
            #expect(sim.status == 0, "\(sim.err)")
            #expect(sim.out.contains(#""errno":"ENODEV""#) && sim.out.contains(#""expect_met":true"#), "\(sim.out)")
            // The same domain built with its running label has Argo state: the register succeeds.
            let plain = try String(contentsOfFile: dir.appendingPathComponent("g.cfg").path, encoding: .utf8)
                .replacingOccurrences(of: "init_seclabel = 'system_u:system_r:dm_dom_t'\n", with: "")
            try plain.write(toFile: dir.appendingPathComponent("g.cfg").path, atomically: true, encoding: .utf8)
            let ok = runArgus(["simulate", policy, "--system", path, "--scenario", dir.appendingPathComponent("s.yaml").path,
                               "--trace", "-", "--format", "json"])
            #expect(ok.out.contains(#""expect_met":false"#), "\(ok.out)")
        }
    }

    /// `build_label` in a hand-written [[domain]] is init_seclabel without an xl config.
    @Test func buildLabelWrittenByHand() throws {
        let files = [
            "s.toml": "[boot]\ncmdline = \"argo=1 xsm=flask\"\n" + Self.dom0
                + "[[domain]]\nname = \"g\"\ndomid = 3\nlabel = \"tenant_a_u:vm_r:tenant_a_t\"\nbuild_label = \"system_u:system_r:dm_dom_t\"\n",
        ]
        try withFiles(files) { dir in
            let path = dir.appendingPathComponent("s.toml").path
            let json = runArgus(["audit", policy, "--system", path, "--format", "json"])
            #expect(json.status == 0 && json.out.contains(#""label": "tenant_a_u:vm_r:tenant_a_t", "build_label": "system_u:system_r:dm_dom_t", "argo": false"#), "\(json.out)")
            // Without it the same domain has Argo state: the key decides.
            let without = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "build_label = \"system_u:system_r:dm_dom_t\"\n", with: "")
            try without.write(toFile: path, atomically: true, encoding: .utf8)
            let plain = runArgus(["audit", policy, "--system", path, "--format", "json"])
            #expect(plain.out.contains(#""label": "tenant_a_u:vm_r:tenant_a_t", "argo": true"#), "\(plain.out)")
        }
    }
}
