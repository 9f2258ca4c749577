import CommandTestSupport
import Foundation
import Testing
import ArgusCommands
import TestSupport

/// `argus simulate` on the example system: FLASK decisions from the table drive the engine.
@Suite struct SimulateCommandTests {
    let scenario = Fixtures.root.appendingPathComponent("examples/scenarios/with-policy/example-system.yaml").path

    @Test func exampleSystemTraceIsGolden() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let rings = dir.appendingPathComponent("rings").path
            let r = runArgus(["simulate", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath,
                              "--scenario", scenario, "--trace", "-", "--dump-rings", rings])
            #expect(r.status == 0, "\(r.err)")
            Golden.expectMatch(r.out, golden: "simulate/example-system.jsonl")
            #expect(r.err.contains("11 steps, 7 succeeded, failed: EACCES 4"), "\(r.err)")
            #expect(r.out.contains(#""avc":["avc:  denied  { send } for source=d5 target=d3 scontext=tenant_b_u:vm_r:tenant_b_t tcontext=tenant_a_u:vm_r:tenant_a_t tclass=argo"]"#))
            // Rings still registered at the end: a1's ring for netvm and dom0's wildcard ring.
            let files = try FileManager.default.contentsOfDirectory(atPath: rings).sorted()
            #expect(files == ["a1-10-netvm.ring", "dom0-1-any.ring"])
            let wildcard = try #require(FileManager.default.contents(atPath: rings + "/dom0-1-any.ring"))
            #expect(wildcard.count == 8192 + 64)
        }
    }

    @Test func unmetExpectationExitsOne() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("s.yaml").path
            try "steps:\n  - {op: sendv, domain: b1, src: {domain: any, aport: 1}, dst: {domain: a1, aport: 1}, type: 1, iov: [\"x\"], expect: 1}\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            let r = runArgus(["simulate", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath,
                              "--scenario", path, "--format", "json"])
            #expect(r.status == 1)
            #expect(r.out.contains(#""expectation_mismatches":1"#), "\(r.out)")
            let bad = runArgus(["simulate", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath, "--scenario", dir.path + "/none.yaml"])
            #expect(bad.status == 2)
        }
    }
}
