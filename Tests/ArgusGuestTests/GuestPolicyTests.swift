import Foundation
import TestSupport
import ArgusGuest
import Flask
import Testing

/// Which types are processes, the contexts they get, and the example's decisions, written out
/// by hand from its rules.
@Suite struct GuestPolicyTests {
    @Test func processTypesOfTheExample() throws {
        let guest = try GuestPolicy(policy: GuestFixtures.examplePolicy())
        #expect(guest.processes.map(\.typeName) == [
            "argo_input_sender_t", "argo_vm_t", "debug_shell_t", "early_helper_t", "init_t", "kernel_t", "sshd_t", "xenmgr_t",
        ])
        #expect(guest.process(named: "early_helper_t")?.selection == .processPermissions)
        #expect(guest.process(named: "sshd_t")?.selection == .domainAttribute)
        #expect(guest.process(named: "argo_vm_t")?.contextText == "vm_u:vm_r:argo_vm_t:s0-s0:c0")
        #expect(guest.process(named: "sshd_t")?.contextText == "system_u:system_r:sshd_t:s0-s0:c0.c15")
        #expect(guest.processes.filter(\.permissive).map(\.typeName) == ["debug_shell_t"])
        #expect(guest.process(named: "argo_device_t") == nil)
        #expect(guest.unusableProcessTypes.isEmpty)
    }

    /// The example's table, as its rules say it should come out (stream at s0, dgram at s0:c1).
    @Test(arguments: [false, true])
    func exampleDecisions(xenmgrUsesArgo: Bool) throws {
        let policy = try GuestFixtures.examplePolicy()
        let guest = try GuestPolicy(policy: policy)
        let devices = try GuestDevices.labelled(GuestDevices.defaultPaths, fileContexts: GuestFixtures.fileContextsPath, policy: policy)
        let d = try GuestDecisionTable.compute(guest, devices: devices, booleans: ["xenmgr_use_argo": xenmgrUsesArgo])
        func row(_ name: String) -> [ArgoDevicePermissions] { d.allowed[d.processes.firstIndex { $0.typeName == name }!] }
        #expect(row("argo_input_sender_t") == [.all, .all])
        // The constraint takes write and ioctl (vm_u is not system_u); MCS takes the dgram node.
        #expect(row("argo_vm_t") == [[.open, .read], []])
        #expect(row("xenmgr_t") == (xenmgrUsesArgo ? [.all, []] : [[], []]))
        for name in ["sshd_t", "debug_shell_t", "init_t", "kernel_t", "early_helper_t"] {
            #expect(row(name) == [[], []], "\(name)")
        }
        #expect(d.argoUsers == ["argo_input_sender_t", "argo_vm_t", "debug_shell_t"] + (xenmgrUsesArgo ? ["xenmgr_t"] : []))
        let shell = d.processes.firstIndex { $0.typeName == "debug_shell_t" }!
        #expect(d.usesArgoOnlyPermissively(shell))
        #expect(d.booleans.map(\.value) == [xenmgrUsesArgo])
    }

    @Test func unknownBooleanIsAnInputError() throws {
        let guest = try GuestPolicy(policy: GuestFixtures.examplePolicy())
        #expect(throws: InputError("unknown boolean 'no_such_bool'", file: GuestFixtures.policyPath)) {
            try GuestDecisionTable.compute(guest, devices: [], booleans: ["no_such_bool": true])
        }
    }

    /// The Linux path refuses a Xen policy, and the Xen loader still refuses a Linux one.
    @Test func platformsStayApart() throws {
        let linux = try GuestFixtures.examplePolicy()
        #expect(linux.image.platform == .selinux)
        #expect(throws: InputError("an SELinux policy, not a Xen policy", file: "dom0")) {
            try PolicyLoader(initialSIDNames: []).loadBinary(linux.binary, path: "dom0")
        }
        let xen = try TestSupport.Fixtures.examplePolicy()
        #expect(throws: InputError("a Xen policy, not an SELinux policy", file: "xen")) {
            try LinuxPolicyLoader.loadBinary(xen.binary, path: "xen")
        }
    }

    /// The binary checkpolicy wrote reads back to the same image, through the same loader.
    @Test func binaryPolicyLoadsLikeItsSource() throws {
        let conf = try GuestFixtures.examplePolicy()
        let binary = try Fixtures.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("policy.33").path
            try Data(conf.binary).write(to: URL(fileURLWithPath: path))
            return try LinuxPolicyLoader.load(path)
        }
        #expect(binary.origin == .binary(path: binary.origin.path))
        #expect(binary.image == conf.image)
        #expect(binary.image.mls && binary.image.platform == .selinux)
    }

    @Test func policyConfErrorIsOneLineWithItsLine() throws {
        let text = try String(contentsOfFile: GuestFixtures.policyPath, encoding: .utf8)
            .replacingOccurrences(of: "type sshd_t, domain;", with: "type sshd_t, no_such_attribute;")
        let line = text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("no_such_attribute") }! + 1
        try GuestFixtures.withFile("policy.conf", text) { path in
            do {
                _ = try LinuxPolicyLoader.load(path)
                Issue.record("checkpolicy accepted an unknown attribute")
            } catch let error as InputError {
                #expect(error.location?.file == path)
                #expect(error.location?.line == line)
                #expect(!error.description.contains("\n"))
            }
        }
    }
}
