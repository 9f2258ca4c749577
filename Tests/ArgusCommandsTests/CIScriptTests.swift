import Foundation
import Testing
import ArgusCommands
import TestSupport

/// scripts/argus-ci.sh, the shell logic of the GitHub Action (action.yml) and of the GitLab
/// template, run against a temporary git repository (a copy of the example, with an "origin")
/// and a faked GitHub Actions environment: exit statuses, the files it writes, the job summary
/// and the step outputs.
@Suite(.serialized) struct CIScriptTests {
    static let script = Golden.packageRoot.appendingPathComponent("scripts/argus-ci.sh").path

    /// A repository like a policy team's: main has the example; `change` makes the reviewed
    /// change (tenants may always send to the UI, uivm and dom0 lose their link, isolated loses
    /// Argo); `comment` only edits a comment. origin (a bare repository) has main, but the
    /// clone's remote-tracking ref is gone, as in a shallow CI checkout.
    struct Repository {
        let dir: URL
        var work: URL { dir.appendingPathComponent("work") }
        var github: URL { dir.appendingPathComponent("github") }

        init(in dir: URL) throws {
            self.dir = dir
            let fm = FileManager.default
            try fm.createDirectory(at: work.appendingPathComponent("policy"), withIntermediateDirectories: true)
            try fm.createDirectory(at: work.appendingPathComponent("examples/rules"), withIntermediateDirectories: true)
            try fm.createDirectory(at: github, withIntermediateDirectories: true)
            for path in ["policy/example", "policy/flask", "examples/system.toml", "examples/vms",
                         "examples/rules/platform.toml", "examples/rules/guests-avoid-dom0.toml", "examples/rules/universe.toml"] {
                try fm.copyItem(at: Fixtures.root.appendingPathComponent(path), to: work.appendingPathComponent(path))
            }
            try git("""
                git init -q -b main . && git config user.email ci@example.invalid && git config user.name ci &&
                git add -A && git commit -qm example &&
                git init -q --bare ../origin.git && git remote add origin ../origin.git && git push -q origin main &&
                git update-ref -d refs/remotes/origin/main
                """)
            try git("git checkout -q -b change")
            let te = work.appendingPathComponent("policy/example/modules/argo.te")
            var text = try String(contentsOf: te, encoding: .utf8)
            for (file, edit) in PolicyEdits.reviewedChange where file == "modules/argo.te" { text = try edit(text) }
            try text.write(to: te, atomically: true, encoding: .utf8)
            try git("git commit -qam 'the reviewed change'")
            try git("git checkout -q -b comment main")
            try ("# A comment only.\n" + String(contentsOf: te, encoding: .utf8)).write(to: te, atomically: true, encoding: .utf8)
            try git("git commit -qam 'a comment'")
        }

        @discardableResult
        func git(_ script: String) throws -> Programs.Outcome {
            let r = try Programs.shell(script, in: work)
            try #require(r.status == 0, "\(script): \(r.err)")
            return r
        }

        /// Runs the script on `branch` with GitHub's variables (fresh summary and output files).
        func run(branch: String, _ environment: [String: String], arguments: [String] = [],
                 argus: String = Programs.argus.path) throws -> (outcome: Programs.Outcome, summary: String, outputs: [String: String]) {
            try git("git checkout -q \(branch)")
            let summary = github.appendingPathComponent("summary.md"), output = github.appendingPathComponent("output")
            try Data().write(to: summary)
            try Data().write(to: output)
            var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GITHUB_") && !$0.key.hasPrefix("CI_") }
            env.merge([
                "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": work.path, "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_STEP_SUMMARY": summary.path, "GITHUB_OUTPUT": output.path,
                "ARGUS": argus, "POLICY": "policy/example", "SYSTEM": "examples/system.toml",
                "RULES": "examples/rules/platform.toml", "TODAY": "2026-06-01", "OUT": "out/argus-ci",
            ]) { $1 }
            env.merge(environment) { $1 }
            let outcome = try Programs.run(CIScriptTests.script, arguments, in: work, environment: env)
            var outputs: [String: String] = [:]
            for line in try String(contentsOf: output, encoding: .utf8).split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                outputs[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            return (outcome, try String(contentsOf: summary, encoding: .utf8), outputs)
        }

        func report(_ name: String) -> URL { work.appendingPathComponent("out/argus-ci/" + name) }
    }

    static let allReports = ["base.policy", "check.codeclimate.json", "check.json", "check.md", "check.sarif", "check.txt", "check.xml",
                             "diff.json", "diff.md", "diff.txt", "new.policy", "summary.md"]

    @Test func pullRequestThatAddsViolationsFails() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let repo = try Repository(in: dir)
            let (r, summary, outputs) = try repo.run(branch: "change", ["GITHUB_BASE_REF": "main"])
            #expect(r.status == 1, "\(r.out)\(r.err)")
            #expect(r.err.isEmpty, "\(r.err)")
            #expect(Programs.files(under: repo.work.appendingPathComponent("out/argus-ci")) == Self.allReports)
            // The base came from origin (fetched: the clone had no origin/main) and was compared.
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: repo.report("check.json"))) as? [String: Any])
            #expect((json["baseline"] as? String)?.hasSuffix("/tree/policy/example") == true, "\(json["baseline"] ?? "")")
            let violations = try #require(json["violations"] as? [[String: Any]])
            #expect(Set(violations.map { "\($0["source"]!) \($0["target"]!) \($0["flow"]!)" })
                    == ["a1 uivm send", "a2 uivm send", "b1 uivm send", "uivm dom0 channel"])
            // The job summary: the check's Markdown, then the diff's.
            #expect(summary.hasPrefix("### Argo policy check: ❌ fail"), "\(summary)")
            #expect(summary.contains("FAIL: 4 violations"))
            let checkMD = try String(contentsOf: repo.report("check.md"), encoding: .utf8)
            let diffMD = try String(contentsOf: repo.report("diff.md"), encoding: .utf8)
            #expect(summary == checkMD + "\n" + diffMD)
            #expect(diffMD.contains("uivm"), "\(diffMD)")
            #expect(outputs == ["result": "fail", "sarif": "out/argus-ci/check.sarif", "report-dir": "out/argus-ci"])
            // Reports for GitLab too, and the text report on stdout for the log.
            let issues = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: repo.report("check.codeclimate.json"))) as? [[String: Any]])
            #expect(issues.filter { $0["severity"] as? String != "info" }.count == 4)
            #expect(issues.allSatisfy { ($0["location"] as? [String: Any])?["path"] as? String == "examples/rules/platform.toml" })
            #expect(r.out.contains("result: FAIL: 4 violations"))
            // The base's worktree is gone.
            let worktrees = try repo.git("git worktree list --porcelain | grep -c '^worktree '")
            #expect(worktrees.out == "1\n")
        }
    }

    @Test func violationsTheBaseAlreadyHadDoNotFail() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let repo = try Repository(in: dir)
            // The example already lets b1 post to dom0: not new on a comment-only change.
            let (r, summary, outputs) = try repo.run(branch: "comment", ["GITHUB_BASE_REF": "main",
                                                                        "RULES": "examples/rules/guests-avoid-dom0.toml"])
            #expect(r.status == 0, "\(r.out)\(r.err)")
            #expect(summary.hasPrefix("### Argo policy check: ✅ pass"), "\(summary)")
            #expect(summary.contains("1 already in the baseline"))
            #expect(outputs["result"] == "pass")
            // Without the base, the same violation fails: the baseline is what made it pass.
            let alone = try repo.run(branch: "comment", ["RULES": "examples/rules/guests-avoid-dom0.toml"])
            #expect(alone.outcome.status == 1)
            #expect(alone.summary.contains("No base ref: no baseline and no diff."))
            #expect(!FileManager.default.fileExists(atPath: repo.report("diff.md").path))
            #expect(!FileManager.default.fileExists(atPath: repo.report("base.policy").path))
            #expect(alone.outputs["result"] == "fail")
        }
    }

    @Test func explicitBaseRefAndXenPassThrough() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let repo = try Repository(in: dir)
            // A wrapper that logs its arguments and hands the rest to argus (without --xen, which
            // this argus may not know: only the pass-through is under test here).
            let log = dir.appendingPathComponent("argus.log")
            let wrapper = dir.appendingPathComponent("argus-wrapper")
            try """
                #!/bin/sh
                echo "$*" >> '\(log.path)'
                for a; do shift; if [ "$skip" = 1 ]; then skip=0; continue; fi
                  if [ "$a" = --xen ]; then skip=1; continue; fi; set -- "$@" "$a"; done
                exec '\(Programs.argus.path)' "$@"
                """.write(to: wrapper, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
            let with = try repo.run(branch: "comment", ["XEN": "4.19"], arguments: ["main"], argus: wrapper.path)
            #expect(with.outcome.status == 0, "\(with.outcome.err)")
            let calls = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
            #expect(calls.filter { $0.hasPrefix("check ") }.count == 6)
            #expect(calls.filter { $0.hasPrefix("diff ") }.count == 3)
            for call in calls {
                let xen = call.contains("--xen 4.19")
                #expect(xen == !call.hasPrefix("policy compile"), "\(call)")
                if call.hasPrefix("check ") { #expect(call.contains("--baseline ") && call.contains("--today 2026-06-01"), "\(call)") }
            }
            // Without XEN, no --xen at all; without SYSTEM, no --system.
            try FileManager.default.removeItem(at: log)
            // The inventory-free check: every valid label, against the base as baseline; no diff.
            let universe = try repo.run(branch: "comment", ["SYSTEM": "", "RULES": "examples/rules/universe.toml"],
                                        arguments: ["main"], argus: wrapper.path)
            #expect(universe.outcome.status == 0, "\(universe.outcome.err)")
            let bare = try String(contentsOf: log, encoding: .utf8)
            #expect(!bare.contains("--xen") && !bare.contains("--system"), "\(bare)")
            #expect(bare.split(separator: "\n").filter { $0.hasPrefix("check ") }.count == 6)
            #expect(!bare.split(separator: "\n").contains { $0.hasPrefix("diff ") }, "\(bare)")
            #expect(universe.summary.contains("over every valid label") && universe.summary.contains("No system file"), "\(universe.summary)")
        }
    }

    @Test func errorsAreExitTwoWithOneLineAndASummary() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let repo = try Repository(in: dir)
            let missing = try repo.run(branch: "change", ["BASE_REF": "nosuch"])
            #expect(missing.outcome.status == 2)
            #expect(missing.outcome.err == "argus-ci: error: base ref 'nosuch' not found (fetch it, or check out with full history)\n")
            #expect(missing.summary.hasPrefix("### Argo policy check: ⚠️ error"))
            #expect(missing.summary.contains("base ref 'nosuch' not found"))
            #expect(missing.outputs == ["result": "error"])

            // A change whose policy does not build: argus's file:line error, in the log and the summary.
            try repo.git("git checkout -q -b broken main && printf 'allow nosuch_t dom0_t:argo send;\\n' >> policy/example/modules/argo.te && git commit -qam broken")
            let broken = try repo.run(branch: "broken", ["GITHUB_BASE_REF": "main"])
            #expect(broken.outcome.status == 2)
            let lines = broken.outcome.err.split(separator: "\n")
            #expect(lines.count == 2, "\(broken.outcome.err)")
            #expect(lines.first?.contains("modules/argo.te:") == true && lines.first?.contains(": error: checkpolicy: unknown type nosuch_t") == true, "\(lines)")
            #expect(lines.last == "argus-ci: error: argus policy exited with status 2")
            #expect(broken.summary.contains("argo.te:"), "\(broken.summary)")
            #expect(broken.outputs["result"] == "error")

            let noRules = try repo.run(branch: "main", ["RULES": "nosuch.toml"])
            #expect(noRules.outcome.status == 2)
            #expect(noRules.outcome.err == "argus-ci: error: no rules file 'nosuch.toml'\n")

            let noArgus = try repo.run(branch: "main", [:], argus: "/nonexistent/argus")
            #expect(noArgus.outcome.status == 2)
            #expect(noArgus.outcome.err == "argus-ci: error: no argus binary '/nonexistent/argus' (set ARGUS)\n")
        }
    }

    @Test func actionPassesItsInputsToTheScript() throws {
        // action.yml is YAML for GitHub; hold its wiring to the script's environment here.
        let action = try String(contentsOf: Golden.packageRoot.appendingPathComponent("action.yml"), encoding: .utf8)
        for input in ["policy", "system", "rules", "base-ref", "xen", "argus", "upload-sarif", "output-directory"] {
            #expect(action.contains("\n  \(input):\n"), "input \(input)")
        }
        for wiring in ["POLICY: ${{ inputs.policy }}", "SYSTEM: ${{ inputs.system }}", "RULES: ${{ inputs.rules }}",
                       "BASE_REF: ${{ inputs.base-ref }}", "XEN: ${{ inputs.xen }}", "OUT: ${{ inputs.output-directory }}",
                       "\"$GITHUB_ACTION_PATH/scripts/argus-ci.sh\"", "uses: github/codeql-action/upload-sarif@v3",
                       "sarif_file: ${{ steps.gate.outputs.sarif }}", "using: composite"] {
            #expect(action.contains(wiring), "\(wiring)")
        }
        let gitlab = try String(contentsOf: Golden.packageRoot.appendingPathComponent("examples/ci/gitlab-ci.yml"), encoding: .utf8)
        #expect(gitlab.contains("codequality: out/argus-ci/check.codeclimate.json"))
        #expect(gitlab.contains("junit: out/argus-ci/check.xml"))
        #expect(gitlab.contains("/usr/local/share/argus/argus-ci.sh"))
    }
}
