import Testing
import XenProfile

/// Boot options exactly as xsm_core_init and flask_init decide them, per build: the module
/// and FLASK's mode every case ends with, or Xen's panic.
@Suite struct BootOptionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var cmdline: String
        var profile: XenProfile
        var module: XSMModuleKind
        var mode: FlaskMode? = nil
        var panics = false
        var testDescription: String { "'\(cmdline)' on \(profile)" }
    }

    static let x86 = XenProfile.head
    static let arm = XenProfile(arch: .arm)

    static let cases: [Case] = [
        // flask= never picks the module; disabled only stops FLASK when FLASK is the module.
        Case(cmdline: "argo=1 flask=disabled xsm=flask", profile: x86, module: .dummy),
        Case(cmdline: "argo=1 xsm=flask flask=disabled", profile: x86, module: .dummy, mode: nil),
        Case(cmdline: "xsm=silo flask=disabled", profile: x86, module: .silo),
        Case(cmdline: "flask=disabled xsm=dummy", profile: x86, module: .dummy),
        Case(cmdline: "", profile: x86, module: .flask, mode: .enforcing),
        Case(cmdline: "flask=permissive", profile: x86, module: .flask, mode: .permissive),
        Case(cmdline: "flask=late", profile: x86, module: .flask, mode: .late),
        Case(cmdline: "flask=late flask=enforcing", profile: x86, module: .flask, mode: .enforcing),
        // Invalid values, a bare flask and no-flask record FLASK_BOOTPARAM_INVALID: panic.
        Case(cmdline: "flask=bogus", profile: x86, module: .flask, panics: true),
        Case(cmdline: "flask", profile: x86, module: .flask, panics: true),
        Case(cmdline: "no-flask", profile: x86, module: .flask, panics: true),
        Case(cmdline: "flask=bogus flask=permissive", profile: x86, module: .flask, mode: .permissive),
        Case(cmdline: "flask=bogus xsm=silo", profile: x86, module: .silo),
        Case(cmdline: "xsm=bogus", profile: x86, module: .flask, mode: .enforcing),
        // Arm: XSM on by default with SILO (4.12.1 on); 4.12.0 had no Arm rule.
        Case(cmdline: "", profile: arm, module: .silo),
        Case(cmdline: "flask=bogus", profile: arm, module: .silo),
        Case(cmdline: "xsm=flask flask=permissive", profile: arm, module: .flask, mode: .permissive),
        Case(cmdline: "", profile: XenProfile(version: .release(major: 4, minor: 12, patch: 0), arch: .arm), module: .flask, mode: .enforcing),
        Case(cmdline: "", profile: XenProfile(version: .release(major: 4, minor: 12, patch: 1), arch: .arm), module: .silo),
        // Builds: without XSM only the dummy module exists and xsm=/flask= are not options.
        Case(cmdline: "xsm=flask flask=bogus", profile: XenProfile(xsmBuild: .none), module: .dummy),
        Case(cmdline: "", profile: XenProfile(xsmBuild: .silo), module: .silo),
        Case(cmdline: "", profile: XenProfile(xsmBuild: .dummy), module: .dummy),
        Case(cmdline: "xsm=flask", profile: XenProfile(xsmBuild: .dummy), module: .flask, mode: .enforcing),
    ]

    @Test(arguments: cases)
    func moduleAndMode(_ c: Case) {
        let outcome = XenCommandLine.parse(c.cmdline).0.boot(on: c.profile)
        #expect((outcome.panic != nil) == c.panics, "\(outcome)")
        guard !c.panics else { return }
        #expect(outcome.settings.xsm == c.module)
        if let mode = c.mode { #expect(outcome.settings.flask == mode) }
    }

    @Test func versionsAreOrderedAndComplete() {
        #expect(XenVersion.releases.first == XenVersion.first)
        #expect(XenVersion.releases.contains(.release(major: 4, minor: 16, patch: 7)))
        #expect(XenVersion.releases == XenVersion.releases.sorted())
        #expect(XenVersion.all.last == .head && XenVersion.newestRelease < .head)
        #expect(XenVersion(parsing: "4.16") == .release(major: 4, minor: 16, patch: 0))
        #expect(XenVersion(parsing: "4.x.1") == nil && XenVersion(parsing: "") == nil)
    }
}
