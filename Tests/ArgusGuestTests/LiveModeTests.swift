import ArgusCommands
import ArgusGuest
import Flask
import Foundation
import Testing

/// A stand-in for the running kernel: labels and decisions from tables, and a record of what
/// it was asked.
final class FakeKernel: KernelSecurityServer, @unchecked Sendable {
    let isEnabled: Bool
    let labels: [String: String]
    let decisions: [String: KernelDecision]
    private let lock = NSLock()
    private var asked: [String] = []

    init(enabled: Bool, labels: [String: String] = [:], decisions: [String: KernelDecision] = [:]) {
        isEnabled = enabled
        self.labels = labels
        self.decisions = decisions
    }

    var questions: [String] { lock.withLock { asked } }

    func computeAccess(source: String, target: String) throws(KernelQueryError) -> KernelDecision {
        lock.withLock { asked.append("av \(source) \(target)") }
        // A kernel with SELinux off would allow everything: the code must never get here then.
        return decisions["\(source) \(target)"] ?? KernelDecision(allowed: isEnabled ? [] : .all, permissive: false)
    }

    func fileContext(of path: String) throws(KernelQueryError) -> String {
        lock.withLock { asked.append("getfilecon \(path)") }
        guard let label = labels[path] else { throw KernelQueryError(message: "getfilecon(\(path)): No such file or directory") }
        return label
    }
}

@Suite struct LiveModeTests {
    static let stream = "system_u:object_r:argo_device_t:s0"

    /// This CI machine runs without SELinux: the real kernel binding must say so.
    @Test func realKernelReportsSELinuxDisabledHere() throws {
        try #require(!FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce"), "SELinux is on here")
        #expect(LibSELinuxKernel().isEnabled == false)
    }

    @Test func commandRefusesLiveModeWithoutSELinux() throws {
        try #require(!FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce"), "SELinux is on here")
        let result = GuestFixtures.run(["guest-policy", GuestFixtures.policyPath, "--live"])
        #expect(result.status == 2)
        #expect(result.output == "")
        #expect(result.errors == "error: \(LiveGuestDecisions.disabledMessage)\n")
    }

    @Test func disabledKernelIsNeverAsked() throws {
        let guest = try GuestPolicy(policy: GuestFixtures.examplePolicy())
        let kernel = FakeKernel(enabled: false, labels: ["/dev/argo_stream": Self.stream])
        #expect(throws: InputError(LiveGuestDecisions.disabledMessage)) {
            try LiveGuestDecisions.compute(guest, devicePaths: ["/dev/argo_stream"], kernel: kernel)
        }
        #expect(kernel.questions.isEmpty)
    }

    @Test func decisionsAndLabelsComeFromTheKernel() throws {
        let guest = try GuestPolicy(policy: GuestFixtures.examplePolicy())
        let sender = guest.process(named: "argo_input_sender_t")!.contextText
        let shell = guest.process(named: "debug_shell_t")!.contextText
        let kernel = FakeKernel(
            enabled: true, labels: ["/dev/argo_stream": Self.stream],
            decisions: ["\(sender) \(Self.stream)": KernelDecision(allowed: [.open, .write], permissive: false),
                        "\(shell) \(Self.stream)": KernelDecision(allowed: [], permissive: true)])
        let d = try LiveGuestDecisions.compute(guest, devicePaths: ["/dev/argo_stream"], kernel: kernel)
        #expect(d.source == .kernel)
        #expect(d.devices.map(\.typeName) == ["argo_device_t"])
        #expect(kernel.questions.first == "getfilecon /dev/argo_stream")
        #expect(kernel.questions.count == 1 + guest.processes.count)
        // The kernel's answer, not the policy's (which allows all four to the sender).
        #expect(d.allowed[d.processes.firstIndex { $0.typeName == "argo_input_sender_t" }!] == [[.open, .write]])
        #expect(d.argoUsers == ["argo_input_sender_t", "debug_shell_t"])
        #expect(d.permissive == d.processes.map { $0.typeName == "debug_shell_t" })
    }

    @Test func missingDeviceNodeIsAnInputError() throws {
        let guest = try GuestPolicy(policy: GuestFixtures.examplePolicy())
        let kernel = FakeKernel(enabled: true)
        #expect(throws: InputError("getfilecon(/dev/argo_dgram): No such file or directory", file: "/dev/argo_dgram")) {
            try LiveGuestDecisions.compute(guest, devicePaths: ["/dev/argo_dgram"], kernel: kernel)
        }
    }

    @Test func commandRunsWithASubstitutedKernel() throws {
        let guest = try GuestPolicy(policy: GuestFixtures.examplePolicy())
        let sender = guest.process(named: "argo_input_sender_t")!.contextText
        let kernel = FakeKernel(enabled: true, labels: ["/dev/argo_stream": Self.stream],
                                decisions: ["\(sender) \(Self.stream)": KernelDecision(allowed: .all, permissive: false)])
        let command = try GuestPolicyCommand.parse([GuestFixtures.policyPath, "--live", "--device", "/dev/argo_stream", "--format", "json"])
        let output = CapturedOutput(), errors = CapturedOutput()
        try command.run(in: CommandContext(standardOutput: output, standardError: errors), kernel: kernel)
        #expect(output.text.contains("\"decisionsFrom\" : \"kernel\""))
        #expect(output.text.contains("\"argoUsers\" : [\n    \"argo_input_sender_t\"\n  ]"))
    }
}
