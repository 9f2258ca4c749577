import ArgoEngine
import ArgusAnalysis
import ArgusCommands
import ArgusExposure
import DecisionTable
import Flask
import CommandTestSupport
import Foundation
import Testing
import TestSupport

/// Small generated policies with every feature exposure must get right.
struct ExposureCase: CustomTestStringConvertible, Sendable {
    var seed: UInt64
    var mls: Bool
    /// One of the fixed cases, which must exercise conditional answers.
    var fixed = true
    var testDescription: String { "seed \(seed)\(mls ? " MLS" : "")" }

    func policy() throws -> Policy {
        var features: PolicyGenerator.Features = [.booleans, .constraints, .usersRoles, .typebounds, .permissive, .domainTransitions, .selfTargets]
        if mls { features.insert(.mls) }
        let generator = PolicyGenerator(seed: seed, types: mls ? 3 : 8, attributes: 2, features: features, argoRuleDensity: 4, booleans: 3, constraints: 3,
                                        users: mls ? 1 : 2, roles: 2, sensitivities: 2, categories: 1)
        let generated = generator.generate(definitions: try Fixtures.definitionTexts())
        let binary = try Checkpolicy.compile(generated.policyConf, mls: generated.mls)
        return try PolicyLoader(flaskDirectory: Fixtures.flaskDirectory).loadBinary(binary, path: "generated-\(seed)")
    }

    /// Four fixed cases by default; `ARGUS_FUZZ_SECONDS` adds seeds for that long.
    static var all: [ExposureCase] {
        // Seeds chosen so that each has conditional answers (checked below).
        var cases = [ExposureCase(seed: 11, mls: false), ExposureCase(seed: 1_002, mls: false),
                     ExposureCase(seed: 15, mls: true), ExposureCase(seed: 1_003, mls: true)]
        if let s = ProcessInfo.processInfo.environment["ARGUS_FUZZ_SECONDS"], let seconds = Double(s), seconds > 0 {
            // Roughly a second per case on this machine.
            cases += (0..<Int(seconds)).map { ExposureCase(seed: 2_000 + UInt64($0), mls: $0 % 2 == 1, fixed: false) }
        }
        return cases
    }
}

@Suite(.serialized) struct ExposureDifferentialTests {
    /// Every answer equals libsepol's over the explicit enumeration; every condition in the
    /// report holds for every combination libsepol finds with the flow.
    @Test(arguments: ExposureCase.all)
    func exposureEqualsLibsepol(_ c: ExposureCase) throws {
        let policy = try c.policy()
        let report = try Exposure.analyse(policy: policy)
        #expect(report.isExact)
        let oracle = try OracleExposure(policy: policy)
        #expect(!oracle.contexts.isEmpty)
        let universe = ExposureUniverse(policy: policy, evaluator: AccessEvaluator(TypeEnforcement(policy: policy)))
        #expect(Set(universe.contexts.map { policy.string($0) }) == Set(oracle.contexts), "the universe differs from libsepol's valid contexts")
        #expect(Set(report.typeNames) == Set(oracle.contexts.map { String($0.split(separator: ":")[2]) }))
        var compared = 0, possible = 0, conditional = 0
        for (k, a) in report.typeNames.enumerated() {
            for (f, flow) in ExposureFlow.perDomain.enumerated() {
                #expect(report.perDomain[k][f].answer.rawValue == oracle.answer(flow.rawValue, a, nil), "\(flow.rawValue) \(a)")
                compared += 1
            }
            for (l, b) in report.typeNames.enumerated() {
                for (f, flow) in ExposureFlow.perPair.enumerated() {
                    let cell = report.pair(k, l)[f]
                    let expected = oracle.answer(flow.rawValue, a, b)
                    #expect(cell.answer.rawValue == expected, "\(flow.rawValue) \(a) -> \(b)")
                    #expect((cell.counterexample != nil) == (cell.answer != .never), "counterexample iff possible")
                    compared += 1
                    if cell.answer != .never { possible += 1 }
                    guard let conditions = cell.conditions else { continue }
                    conditional += 1
                    let key = OracleExposure.key(flow.rawValue, a, b)
                    for (name, value) in conditions.booleans ?? [:] {
                        #expect(oracle.witnessBooleans[key]?[name] == (value ? 2 : 1), "\(key): condition \(name)=\(value) does not hold for every witness")
                    }
                    if let relations = conditions.relations {
                        #expect(oracle.witnessRelations[key, default: []].isSubset(of: Set(relations)), "\(key): relations")
                    }
                }
            }
        }
        #expect(compared > 100 && possible > 0, "too little compared (\(compared), \(possible) possible)")
        // The features under test took part: booleans that decide Argo rules, conditional answers.
        if c.fixed {
            #expect(!report.relevantBooleans.isEmpty, "no boolean decides an Argo rule in \(c.testDescription)")
            #expect(conditional > 0, "no conditional answer in \(c.testDescription)")
        }
    }

    /// Every counterexample, parsed from its own system file and audited independently, has
    /// every flow it claims.
    @Test(arguments: ExposureCase.all.prefix(2))
    func counterexamplesAreConfirmedByTheAudit(_ c: ExposureCase) throws {
        let policy = try c.policy()
        let report = try Exposure.analyse(policy: policy)
        #expect(!report.counterexamples.isEmpty)
        for cx in report.counterexamples {
            let inventory = try SystemInventory.parse(text: cx.systemFile, path: "cx.toml")
            #expect(inventory.domains.count <= 2)
            let audit = ArgoAudit(try ResolvedSystem(inventory: inventory, policy: policy, booleans: cx.booleans))
            for claim in cx.claims {
                let i = try #require(audit.system.index(ofDomain: claim.source))
                switch claim.flow {
                case .argo: #expect(audit.domains[i].argo)
                case .registerAnySource: #expect(audit.domains[i].registerAnySource)
                default:
                    let j = try #require(audit.system.index(ofDomain: claim.target!))
                    #expect(audit.has(ArgoAudit.Flow(rawValue: claim.flow.rawValue)!, i, j), "#\(cx.id) \(claim.flow.rawValue)")
                }
            }
        }
    }
}


/// Past the limits the report says it approximates, and never claims to be exact.
@Suite struct ExposureLimitTests {
    @Test func tooManyBooleansIsPerBooleanAndNotExact() throws {
        let policy = try ExposureCase(seed: 11, mls: false).policy()
        var limits = ExposureLimits()
        limits.maxExactBooleans = 1
        let report = try Exposure.analyse(policy: policy, limits: limits)
        #expect(report.relevantBooleans.count > 1)
        #expect(report.booleanMode == .perBoolean)
        #expect(report.settingCount == report.relevantBooleans.count + 3)
        #expect(!report.isExact)
        #expect(ExposureRenderer.json(report).contains("\"exact\" : false"))
        #expect(ExposureRenderer.text(report).contains("Booleans: APPROXIMATE"))
    }

    @Test func tooManyLevelsUsesNamedLevelsAndIsNotExact() throws {
        let policy = try ExposureCase(seed: 15, mls: true).policy()
        let exact = try Exposure.analyse(policy: policy)
        #expect(exact.levelMode == .exact && exact.isExact)
        var limits = ExposureLimits()
        limits.maxExactContexts = 10
        let named = try Exposure.analyse(policy: policy, limits: limits)
        #expect(named.levelMode == .named || named.levelMode == .namedRanges)
        #expect(!named.isExact)
        #expect(named.contextCount < exact.contextCount)
        #expect(ExposureRenderer.text(named).contains("MLS APPROXIMATE"))
        // Fixing a boolean takes it out of the enumeration and is reported.
        let fixed = try Exposure.analyse(policy: policy, booleans: [exact.relevantBooleans[0]: true])
        #expect(!fixed.relevantBooleans.contains(exact.relevantBooleans[0]))
        #expect(fixed.fixedBooleans == [exact.relevantBooleans[0]: true])
    }
}
