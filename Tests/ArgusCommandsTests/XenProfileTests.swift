import ArgusAnalysis
import ArgusCommands
import Flask
import CommandTestSupport
import Foundation
import Sepol
import Testing
import TestSupport
import XenProfile

/// A copy of the example policy laid out as Xen `release`'s tools/flask/policy would be:
/// its own definitions beside it (`flask/`), `xenboot` only from 4.17.0 on, and a system
/// file that does not say which Xen runs.
struct VersionTree {
    var tree: String
    var system: String
    var flask: String
    var definitions: FlaskDefinitions

    init(release: String, in dir: URL, name: String = "example") throws {
        let definitions = try #require(FlaskDefinitions.xen(release: release))
        self.definitions = definitions
        let base = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        flask = base.appendingPathComponent("flask").path
        try FileManager.default.createDirectory(atPath: flask, withIntermediateDirectories: true)
        for file in definitions.sourceFiles { try file.text.write(toFile: flask + "/" + file.name, atomically: true, encoding: .utf8) }
        tree = base.appendingPathComponent("policy").path
        try FileManager.default.copyItem(atPath: Fixtures.examplePolicyPath, toPath: tree)
        // The example is written for head: permissions this release does not define anywhere
        // (get_dom0_console, hypfs_op, set_cpu_policy, ...) are taken out of its rules, as a
        // policy written for that release would not have them.
        let known = Set(definitions.classes.flatMap { $0.permissions.map(\.name) } + definitions.commons.flatMap { $0.permissions.map(\.name) })
        let head = FlaskDefinitions.xenDefault
        let missing = Set(head.classes.flatMap { $0.permissions.map(\.name) }).subtracting(known)
        if !missing.isEmpty, let files = FileManager.default.enumerator(atPath: tree) {
            for case let file as String in files where file.hasSuffix(".te") || file.hasSuffix(".if") {
                let path = tree + "/" + file
                var text = try String(contentsOfFile: path, encoding: .utf8)
                for name in missing {
                    text = text.replacingOccurrences(of: "\\b\(name)\\b", with: "", options: .regularExpression)
                }
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
        if definitions.initialSID(named: "xenboot") == nil {
            let path = tree + "/policy/initial_sids"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("sid xenboot") }
            #expect(kept.count < text.split(separator: "\n", omittingEmptySubsequences: false).count)
            try kept.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        system = base.appendingPathComponent("system.toml").path
        let exampleSystem = try String(contentsOfFile: Fixtures.exampleSystemPath, encoding: .utf8)
        let range = try #require(exampleSystem.range(of: "[xen]"))
        let end = try #require(exampleSystem.range(of: "[boot]"))
        try exampleSystem.replacingCharacters(in: range.lowerBound..<end.lowerBound, with: "")
            .write(toFile: system, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Fixtures.root.appendingPathComponent("examples/vms").path,
                                         toPath: base.appendingPathComponent("vms").path)
    }
}

@Suite(.serialized) struct XenProfileTests {
    /// Audits of trees built like Xen 4.12.0's, 4.16.0's, 4.17.0's and head's equal libsepol's
    /// decisions with that version's initial SID numbering, pair for pair; the Xen is inferred
    /// from the tree's own definitions and said on standard error.
    @Test(arguments: [("4.12.0", "4.12.4"), ("4.16.0", "4.16.7"), ("4.17.0", "4.18.2"), ("head", "head")])
    func auditsEqualLibsepolWithEachVersionsNumbering(release: String, inferred: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let v = try VersionTree(release: release, in: dir)
            let r = runArgus(["audit", v.tree, "--system", v.system, "--format", "json"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.err.hasPrefix("argus: note: assuming Xen \(inferred) (upstream, x86): "), "\(r.err)")
            #expect(r.err.filter { $0 == "\n" }.count == 1, "one line: \(r.err)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
            let xen = try #require(json["xen"] as? [String: String])
            #expect(xen["version"] == inferred)

            // libsepol, on the same binary, with the version's numbering of initial SIDs.
            let policy = try PolicyLoader(flaskDirectory: v.flask, definitions: v.definitions).load(v.tree)
            #expect(policy.image.types.allSatisfy { !$0.permissive }, "the oracle below ignores permissive types")
            let xenNumber = UInt32(try #require(v.definitions.initialSIDNames.firstIndex(of: "xen")) + 1)
            let inventory = try SystemInventory.load(v.system)
            let argoClass = try #require(policy.classValue("argo"))
            let domainClass = try #require(policy.classValue("domain"))
            func mask(_ p: String) -> UInt32 { policy.permissionMask(p, inClass: argoClass)! }
            var expectedDomains: [[String: Bool]] = []
            var expectedPairs: [String: [String: Bool]] = [:]
            try SepolOracle.with(policy: policy.binary) { oracle in
                let xenContext = try #require(oracle.context(of: xenNumber))
                #expect(xenContext.contains(":xen_t"), "initial SID \(xenNumber) is xen on \(release): \(xenContext)")
                if v.definitions.initialSID(named: "xenboot") == nil {
                    // What deciding with head's numbering would have done: a different target.
                    #expect(oracle.context(of: 2) != xenContext, "head's xen SID (2) names another context here")
                }
                let sids = try inventory.domains.map { try #require(oracle.sid(for: $0.label), "\($0.label)") }
                func allowed(_ s: UInt32, _ t: UInt32, _ p: String) -> Bool {
                    (oracle.computeAV(source: s, target: t, tclass: argoClass)?.allowed ?? 0) & mask(p) != 0
                }
                let n = sids.count
                let argo = sids.map { allowed($0, xenNumber, "enable") }
                let any = (0..<n).map { argo[$0] && allowed(sids[$0], xenNumber, "register_any_source") }
                for i in 0..<n { expectedDomains.append(["argo": argo[i], "register_any_source": any[i]]) }
                var rss = [[Bool]](repeating: [Bool](repeating: false, count: n), count: n), send = rss
                for i in 0..<n where argo[i] {
                    for j in 0..<n where argo[j] {
                        #expect(inventory.domains[i].target == nil, "device models have no Argo in this system")
                        let t = i == j ? try #require(oracle.transition(source: sids[i], target: sids[i], tclass: domainClass)) : sids[j]
                        rss[i][j] = allowed(sids[i], t, "register_single_source")
                        send[i][j] = allowed(sids[i], t, "send")
                    }
                }
                for i in 0..<n {
                    for j in 0..<n where rss[i][j] || send[i][j] {
                        expectedPairs["\(inventory.domains[i].name)>\(inventory.domains[j].name)"] = [
                            "register_single_source": rss[i][j], "send": send[i][j], "notify": send[i][j],
                            "channel": send[i][j] && (rss[j][i] || any[j]),
                        ]
                    }
                }
            }
            let domains = try #require(json["domains"] as? [[String: Any]])
            #expect(domains.map { ["argo": $0["argo"] as? Bool ?? false, "register_any_source": $0["register_any_source"] as? Bool ?? false] }
                    == expectedDomains)
            let pairs = try #require(json["pairs"] as? [[String: Any]])
            var actual: [String: [String: Bool]] = [:]
            for p in pairs {
                let key = "\(p["source"] as! String)>\(p["target"] as! String)"
                actual[key] = ["register_single_source", "send", "notify", "channel"].reduce(into: [:]) { $0[$1] = p[$1] as? Bool ?? false }
            }
            #expect(!expectedPairs.isEmpty)
            #expect(actual == expectedPairs)
        }
    }

    /// A tree whose own definitions lack xenboot, decided on head: refused (exit 2, the
    /// first reason), or with --force a warning and the answer.
    @Test func contradictedNumberingIsRefusedUnlessForced() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let v = try VersionTree(release: "4.16.0", in: dir)
            let refused = runArgus(["audit", v.tree, "--system", v.system, "--xen", "head"])
            #expect(refused.status == 2)
            #expect(refused.err.contains("error: the policy's own definitions contradict Xen head (upstream, x86): initial SID xen is 1"), "\(refused.err)")
            #expect(refused.err.filter { $0 == "\n" }.count == 1)
            #expect(refused.out.isEmpty, "no partial output")
            let forced = runArgus(["audit", v.tree, "--system", v.system, "--xen", "head", "--force"])
            #expect(forced.status == 0)
            #expect(forced.err.hasPrefix("argus: warning: the policy's own definitions contradict"), "\(forced.err)")
            #expect(forced.out.contains("xen: Xen head (upstream, x86); --xen head"))
            let stated = runArgus(["query", v.tree, "--system", v.system, "--xen", "4.16.0", "--from", "a1", "--to", "netvm"])
            #expect(stated.status == 0 && stated.err.isEmpty, "a stated Xen that agrees: no note, no refusal: \(stated.err)")
        }
    }

    /// SILO had no Argo hooks before 4.16.0 (599bca5884): the audit of the same system under
    /// 4.15.7 has channels between unrelated tenants that 4.16.0 refuses.
    @Test func siloWithoutArgoHooksBefore4160() throws {
        try Fixtures.withTemporaryDirectory { dir in
            func channels(_ release: String) throws -> [String] {
                let v = try VersionTree(release: release, in: dir, name: "silo-\(release)")
                var text = try String(contentsOfFile: v.system, encoding: .utf8)
                text = text.replacingOccurrences(of: "xsm=flask", with: "xsm=silo")
                try text.write(toFile: v.system, atomically: true, encoding: .utf8)
                let r = runArgus(["audit", v.tree, "--system", v.system, "--xen", release, "--format", "json"])
                #expect(r.status == 0, "\(release): \(r.err)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
                let pairs = try #require(json["pairs"] as? [[String: Any]])
                return pairs.filter { $0["channel"] as? Bool == true }.map { "\($0["source"]!)->\($0["target"]!)" }
            }
            let old = try channels("4.15.7"), new = try channels("4.16.0")
            #expect(old.contains("a1->b1") && !new.contains("a1->b1"), "old \(old.count) new \(new.count)")
            #expect(Set(new).isSubset(of: Set(old)))
        }
    }

    /// Xen 4.12.0's tree against head's: each side with its own numbering, so no flow
    /// changes; the change of Xen and definitions is reported first.
    @Test func diffAcrossVersionsHasNoFlowChanges() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let old = try VersionTree(release: "4.12.0", in: dir, name: "old")
            let new = try VersionTree(release: "head", in: dir, name: "new")
            let r = runArgus(["diff", old.tree, new.tree, "--system", new.system])
            #expect(r.status == 1, "the definitions changed incompatibly: \(r.err)")
            let lines = r.out.split(separator: "\n").map(String.init)
            #expect(lines.count > 3)
            #expect(lines[1] == "xen: Xen 4.12.4 (upstream, x86) -> Xen head (upstream, x86)")
            #expect(lines[2].hasPrefix("FLASK definitions: Xen 4.12.4 (upstream, x86) -> Xen head (upstream, x86): "), "\(lines[2])")
            let flowsLine = try #require(lines.firstIndex { $0.hasPrefix("flows: ") })
            #expect(lines[flowsLine] == "flows: 0 added, 0 removed")
            #expect(lines[3..<flowsLine].contains { $0.contains("xenboot") }, "the renumbering is listed before the flows")
            #expect(r.err.contains("OLD: argus: note: assuming Xen 4.12.4") && r.err.contains("NEW: argus: note: assuming Xen head"))
            // The old bug: both sides numbered as head gives hundreds of false flows.
            let forced = runArgus(["diff", old.tree, new.tree, "--system", new.system, "--xen", "head", "--force"])
            #expect(!forced.out.contains("flows: 0 added, 0 removed"), "deciding OLD with head's numbering changes flows")
        }
    }

    /// A command line that panics Xen is a finding (exit 1) with the reason.
    @Test func panickingCommandLineIsAFinding() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let system = dir.appendingPathComponent("system.toml").path
            try """
                [xen]
                version = "head"
                [boot]
                cmdline = "argo=1 flask=bogus"
                [[domain]]
                name = "dom0"
                domid = 0
                label = "system_u:system_r:dom0_t"
                """.write(toFile: system, atomically: true, encoding: .utf8)
            let r = runArgus(["audit", Fixtures.examplePolicyPath, "--system", system])
            #expect(r.status == 1)
            #expect(r.out == "\(system): finding: Xen head (upstream, x86) does not boot with this command line: Flask: Invalid value for flask= boot parameter (\"bogus\")\n")
            // With SILO chosen, flask_init never runs: no panic.
            try String(contentsOfFile: system, encoding: .utf8).replacingOccurrences(of: "flask=bogus", with: "flask=bogus xsm=silo")
                .write(toFile: system, atomically: true, encoding: .utf8)
            let silo = runArgus(["audit", Fixtures.examplePolicyPath, "--system", system])
            #expect(silo.status == 0)
            #expect(silo.out.contains("xsm=silo"))
        }
    }

    /// `xl info` pasted from a host: version, command line and architecture.
    @Test func xlInfoSelectsTheProfile() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let info = dir.appendingPathComponent("xl-info.txt").path
            try """
                host                   : h1
                xen_major              : 4
                xen_minor              : 21
                xen_extra              : .0
                xen_version            : 4.21.0
                xen_caps               : xen-3.0-aarch64 xen-3.0-armv7l
                xen_commandline        : console=dtuart argo=1
                """.write(toFile: info, atomically: true, encoding: .utf8)
            let parsed = try XLInfo.load(info)
            #expect(parsed.version == .release(major: 4, minor: 21, patch: 0) && parsed.arch == .arm)
            #expect(XLInfo.xenVersion("4.22-unstable") == .head)
            #expect(XLInfo.xenVersion("4.19-rc") == .release(major: 4, minor: 19, patch: 6), "a stable branch: its newest release")
            #expect(XLInfo.xenVersion("4.11.4") == nil, "no Argo before 4.12")
            let system = dir.appendingPathComponent("system.toml").path
            try """
                [[domain]]
                name = "dom0"
                domid = 0
                label = "system_u:system_r:dom0_t"
                """.write(toFile: system, atomically: true, encoding: .utf8)
            // A tree with 4.21.0's own definitions, so that the policy loads on the Xen xl info names.
            let v = try VersionTree(release: "4.21.0", in: dir)
            let r = runArgus(["audit", v.tree, "--system", system, "--xl-info", info])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.err.isEmpty, "a stated Xen: no note")
            #expect(r.out.contains("xen: Xen 4.21.0 (upstream, arm); xen_version 4.21.0 of xl info"))
            #expect(r.out.contains("boot: argo=on mac-permissive=off xsm=silo\n"), "Arm's default module, from the host's command line")
            #expect(runArgus(["audit", Fixtures.examplePolicyPath, "--system", system, "--xen", "4.11.0"]).status == 2)
            #expect(runArgus(["audit", Fixtures.examplePolicyPath, "--system", system, "--xen", "head+qubes"]).status == 2)
        }
    }

    /// argo_init's denial is logged with current= the toolstack (d0): explain-log names the
    /// domain being created, and under OpenXT says such a line cannot come from that Xen.
    @Test func explainLogNamesTheDomainArgoInitRefused() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let log = dir.appendingPathComponent("dmesg.log").path
            try "(XEN) avc:  denied  { enable } for current=d0 scontext=system_u:system_r:dm_dom_t tcontext=system_u:system_r:xen_t tclass=argo\n"
                .write(toFile: log, atomically: true, encoding: .utf8)
            func explain(_ xen: String, _ extra: [String] = []) throws -> [String: Any] {
                let r = runArgus(["explain-log", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath, log,
                                  "--format", "json", "--xen", xen] + extra)
                #expect(r.status == 1, "\(r.err)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
                let records = try #require(json["explanations"] as? [[String: Any]] ?? json["records"] as? [[String: Any]], "\(json.keys)")
                return try #require(records.first)
            }
            let upstream = try explain("head")
            let notes = try #require(upstream["notes"] as? [String])
            #expect(notes.contains { $0.hasPrefix("logged by argo_init at domain creation: current=d0 is the toolstack") && $0.contains("(stub-a1)") }, "\(notes)")
            #expect(!notes.contains { $0.contains("differs from dom0's label") }, "not reported as dom0's own denial")
            #expect((upstream["source"] as? [String: Any])?["name"] as? String == "stub-a1")
            // The example is written for head's definitions (4.21.0 still had privprofile): forced.
            let openxt = try #require(try explain("4.21.0+openxt", ["--force"])["notes"] as? [String])
            #expect(openxt.contains { $0.contains("Xen 4.21.0 (openxt, x86) makes this check without an AVC record") }, "\(openxt)")
            #expect(!notes.contains { $0.contains("without an AVC record") })
        }
    }

    /// flask=late: domains created before the policy load (dom0 by default, others when the
    /// system file says so) have Argo state whatever `enable` says; the rest are checked.
    @Test func lateLoadGivesArgoStateToEarlyDomains() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let system = dir.appendingPathComponent("system.toml").path
            func write(_ cmdline: String) throws {
                try """
                    [xen]
                    version = "head"
                    [boot]
                    cmdline = "\(cmdline)"
                    [[domain]]
                    name = "dom0"
                    domid = 0
                    label = "system_u:system_r:dom0_t"
                    [[domain]]
                    name = "stub"
                    domid = 7
                    label = "system_u:system_r:dm_dom_t"
                    created_before_policy = true
                    [[domain]]
                    name = "stub2"
                    domid = 8
                    label = "system_u:system_r:dm_dom_t"
                    """.write(toFile: system, atomically: true, encoding: .utf8)
            }
            func argo() throws -> [String: Bool] {
                let r = runArgus(["audit", Fixtures.examplePolicyPath, "--system", system, "--format", "json"])
                #expect(r.status == 0, "\(r.err)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
                let domains = try #require(json["domains"] as? [[String: Any]])
                return Dictionary(uniqueKeysWithValues: domains.map { ($0["name"] as! String, $0["argo"] as! Bool) })
            }
            try write("argo=1 flask=late")
            #expect(try argo() == ["dom0": true, "stub": true, "stub2": false])
            try write("argo=1 flask=enforcing")
            #expect(try argo() == ["dom0": true, "stub": false, "stub2": false])
        }
    }

    /// `policy validate --xen`: the definitions of that Xen, not a directory.
    @Test func validateAgainstAXenRelease() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let v = try VersionTree(release: "4.16.0", in: dir)
            let own = runArgus(["policy", "validate", v.tree, "--xen", "4.16.0"])
            #expect(own.status == 0 && !own.out.contains("warning"), "\(own.out)")
            let head = runArgus(["policy", "validate", v.tree, "--xen", "head"])
            #expect(head.out.contains("warning: initial SID domDM (13) has no context in the policy"), "\(head.out)")
            #expect(runArgus(["policy", "validate", v.tree, "--xen", "head", "--flask-dir", v.flask]).status == 2)
        }
    }
}
