import CommandTestSupport
import Foundation
import TestSupport
import Testing

/// PR001 and PR002 over small variations of the OpenXT example's dom0.
@Suite(.serialized) struct ProcessLintTests {
    static func lint(_ edit: (String) -> String, fileContexts: String? = nil) throws -> String {
        try Fixtures.withTemporaryDirectory { dir in
            var text = try String(contentsOfFile: ProcessesTests.system, encoding: .utf8)
            text = text.replacingOccurrences(of: "\"dom0-selinux/policy.conf\"", with: "\"\(ProcessesTests.dom0Policy)\"")
            if let fileContexts {
                let fc = dir.appendingPathComponent("file_contexts")
                try fileContexts.write(to: fc, atomically: true, encoding: .utf8)
                text = text.replacingOccurrences(of: "\"dom0-selinux/file_contexts\"", with: "\"\(fc.path)\"")
            } else {
                text = text.replacingOccurrences(of: "\"dom0-selinux/file_contexts\"", with: "\"\(ProcessesTests.dom0Contexts)\"")
            }
            let file = dir.appendingPathComponent("system.toml")
            try edit(text).write(to: file, atomically: true, encoding: .utf8)
            let r = runArgus(["lint", ProcessesTests.policy, "--system", file.path])
            #expect(r.status == 1, "\(r.err)")
            return r.out
        }
    }

    @Test func exampleHasNeither() throws {
        let out = try Self.lint { $0 }
        #expect(!out.contains("PR001") && !out.contains("PR002"))
    }

    /// Argo off at boot: dom0's sending daemons can open the device but no hypercall succeeds.
    @Test func sendingProcessWithoutArgo() throws {
        let out = try Self.lint { $0.replacingOccurrences(of: "cmdline = \"argo=1,mac-permissive=1 xsm=flask flask=enforcing\"", with: "cmdline = \"xsm=flask flask=enforcing\"") }
        #expect(out.contains("PR001 process-sends-without-argo: dom0/argo_input_sender_t may send through /dev/argo_stream, /dev/argo_dgram but dom0 has no Argo state"), "\(out)")
        #expect(!out.contains("dom0/xenmgr_t may send"))
    }

    /// A device labelled with a type no rule mentions.
    @Test func deviceNobodyMayUse() throws {
        let fc = "/dev/argo_stream -c system_u:object_r:sshd_exec_t:s0\n/dev/argo_dgram -c system_u:object_r:argo_dgram_device_t:s0:c1\n"
        let out = try Self.lint({ $0 }, fileContexts: fc)
        #expect(out.contains("PR002 argo-device-unused: no process of dom0 may use /dev/argo_stream (system_u:object_r:sshd_exec_t:s0)"), "\(out)")
        #expect(!out.contains("may use /dev/argo_dgram"))
    }
}
