import ArgusAnalysis
import CommandTestSupport
import Foundation
import Testing
import TestSupport
import XenProfile

/// The historical `v2-series` profile (docs/XEN-PROFILES.md, "v2-series"): its own Argo
/// boot options, and a one-line refusal wherever Argus would have to guess its XSM checks.
@Suite struct V2SeriesTests {
    static let v2 = XenVersion.v2Series

    @Test func versionIsNamedAndOrderedBeforeEveryRelease() {
        #expect(XenVersion(parsing: "v2-series") == Self.v2)
        #expect(Self.v2.description == "v2-series" && Self.v2.isKnown && Self.v2.isHistorical)
        #expect(Self.v2 < XenVersion.first && Self.v2 < .head && !(XenVersion.first < Self.v2))
        #expect(!XenVersion.all.contains(Self.v2), "never inferred")
        #expect(Self.v2.definitionsRelease == "4.12.0")
        #expect(Self.v2.branch == nil)
        let change = XenChange(commit: "480800c769", firstReleases: [.release(major: 4, minor: 12, patch: 1)])
        #expect(!change.isIn(Self.v2), "no release-branch change is in the series")
        #expect(XenProfile(version: Self.v2).notModelled != nil)
        #expect(XenProfile(version: XenVersion.first).notModelled == nil)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var cmdline: String
        var argo: Bool
        var macPermissive: Bool
        /// The "option=value" pairs Xen complains about, in order.
        var complaints: [String] = []
        var testDescription: String { "'\(cmdline)'" }
    }

    static let cases: [Case] = [
        // Defaults: Argo off, argo-mac enforcing (no wildcard rings).
        Case(cmdline: "", argo: false, macPermissive: false),
        Case(cmdline: "argo=1", argo: true, macPermissive: false),
        // argo is a plain boolean option.
        Case(cmdline: "argo", argo: true, macPermissive: false),
        Case(cmdline: "argo=1 no-argo", argo: false, macPermissive: false),
        Case(cmdline: "no-argo=0", argo: true, macPermissive: false),
        Case(cmdline: "argo=yes argo=off", argo: false, macPermissive: false),
        // The later list syntax is not understood: refused, nothing changes.
        Case(cmdline: "argo=1,mac-permissive", argo: false, macPermissive: false, complaints: ["argo=1,mac-permissive"]),
        Case(cmdline: "argo=1 argo=mac-permissive=1", argo: true, macPermissive: false, complaints: ["argo=mac-permissive=1"]),
        // argo-mac=enforcing|permissive, independent of argo=.
        Case(cmdline: "argo=1 argo-mac=permissive", argo: true, macPermissive: true),
        Case(cmdline: "argo-mac=permissive", argo: false, macPermissive: true),
        Case(cmdline: "argo-mac=permissive argo-mac=enforcing argo=1", argo: true, macPermissive: false),
        // Anything else is refused and leaves the setting as it was.
        Case(cmdline: "argo-mac=permissive argo-mac=bogus", argo: false, macPermissive: true, complaints: ["argo-mac=bogus"]),
        Case(cmdline: "argo-mac=Permissive", argo: false, macPermissive: false, complaints: ["argo-mac=Permissive"]),
        Case(cmdline: "argo-mac=permissive argo-mac", argo: false, macPermissive: true, complaints: ["argo-mac="]),
        Case(cmdline: "argo-mac=permissive no-argo-mac", argo: false, macPermissive: true, complaints: ["no-argo-mac=no"]),
        Case(cmdline: "no-argo-mac=permissive", argo: false, macPermissive: false, complaints: ["no-argo-mac=permissive"]),
    ]

    @Test(arguments: cases)
    func argoOptions(_ c: Case) {
        let (parameters, diagnostics) = XenCommandLine.parse(c.cmdline, version: Self.v2)
        #expect(parameters.argo == c.argo)
        #expect(parameters.macPermissive == c.macPermissive)
        #expect(diagnostics.map { "\($0.option)=\($0.value)" } == c.complaints)
        // The boot on the series' profile carries the setting through unchanged.
        let settings = parameters.boot(on: XenProfile(version: Self.v2)).settings
        #expect(settings.argo == c.argo && settings.macPermissive == c.macPermissive)
    }

    @Test func theOptionsOfOneXenMeanNothingToTheOther() {
        // Released Xen has no argo-mac option (ignored) and does read argo=...,mac-permissive.
        let released = XenCommandLine.parse("argo=1 argo-mac=permissive", version: XenVersion.first)
        #expect(released.0.argo && !released.0.macPermissive && released.1.isEmpty)
        #expect(XenCommandLine.parse("argo=1,mac-permissive", version: XenVersion.first).0.macPermissive)
    }

    @Test func xsmAndFlaskAreReadAsIn4120() {
        let (parameters, diagnostics) = XenCommandLine.parse("argo=1 xsm=silo flask=bogus argo-mac=permissive", version: Self.v2)
        #expect(parameters.xsm == .silo && parameters.flask == .invalid("bogus"))
        #expect(diagnostics.map(\.option) == ["flask"])
        #expect(parameters.argo && parameters.macPermissive)
        let panics = XenCommandLine.parse("flask=bogus", version: Self.v2).0.boot(on: XenProfile(version: Self.v2))
        #expect(panics.panic != nil)
    }

    /// Every deciding command refuses with exit 2 and exactly one line naming the profile.
    @Test func decidingCommandsRefuseWithOneLine() throws {
        let policy = Fixtures.examplePolicyPath
        let system = Fixtures.exampleSystemPath
        let runs: [[String]] = [
            ["audit", policy, "--system", system, "--xen", "v2-series"],
            ["audit", policy, "--system", system, "--xen", "v2-series", "--force"],
            ["audit", policy, "--system", system, "--xen", "v2-series", "--format", "json"],
            ["query", policy, "--system", system, "--xen", "v2-series", "--from", "a1", "--to", "b1", "--perm", "send"],
            ["audit", policy, "--system", system, "--xen", "v2-series+openxt"],
        ]
        for arguments in runs {
            let r = runArgus(arguments)
            #expect(r.status == 2, "\(arguments): \(r.err)")
            let lines = r.err.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(r.err)")
            #expect(r.err.contains("is not modelled for v2-series: "), "\(arguments): \(r.err)")
            #expect(r.out.isEmpty, "\(arguments): no answer as 4.12 would give")
        }
        let unknown = runArgus(["audit", policy, "--system", system, "--xen", "v2"])
        #expect(unknown.status == 2 && unknown.err.contains("v2-series"), "the spelling is listed")
    }

    /// The system file's [xen] version = "v2-series" is read, then refused the same way.
    @Test func systemFileNamingTheSeriesIsRefused() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let text = try String(contentsOfFile: Fixtures.exampleSystemPath, encoding: .utf8)
            let system = dir.appendingPathComponent("system.toml").path
            // The system file names its VMs' xl configs relative to itself.
            try FileManager.default.copyItem(atPath: Fixtures.root.appendingPathComponent("examples/vms").path,
                                             toPath: dir.appendingPathComponent("vms").path)
            #expect(text.contains("version = \"head\"\n"))
            try text.replacingOccurrences(of: "version = \"head\"\n", with: "version = \"v2-series\"\n")
                .write(toFile: system, atomically: true, encoding: .utf8)
            let r = runArgus(["audit", Fixtures.examplePolicyPath, "--system", system])
            #expect(r.status == 2, "\(r.err)")
            #expect(r.err.split(separator: "\n").count == 1 && r.err.contains("is not modelled for v2-series: "), "\(r.err)")
        }
    }
}
