import ArgoEngine
import DecisionTable
import Flask

/// The flows of every context of the exposure universe, and of every ordered pair of them in
/// every relation, for every boolean setting considered, as bit masks over settings (64 per
/// chunk). The public face of exposure's decisions for the analyses built on it (`argus paths`
/// over types, `argus check` without a system file); the numbers are the ones
/// `Exposure.analyse` uses and tests against libsepol.
public struct ExposureFlowTable {
    /// The flows of an ordered pair of contexts in one relation, per setting of a chunk.
    public struct PairFlows: Sendable, Equatable {
        public var registerSingleSource: UInt64
        public var send: UInt64
        /// Send, and the target can register a single-source ring for the source.
        public var channelWithoutWildcards: UInt64
        /// The same with mac-permissive on: a wildcard ring of the target will do too.
        public var channelWithWildcards: UInt64

        public func channel(macPermissive: Bool) -> UInt64 { macPermissive ? channelWithWildcards : channelWithoutWildcards }
    }

    public let universe: ExposureUniverse
    public let booleans: ExposureBooleans
    let decisions: ExposureDecisions
    let chunkList: [ExposureDecisions.Chunk]
    let flows: FlowEvaluator

    /// Builds the decisions; `booleans` fixes some booleans (as `--bool` does).
    public init(policy: Policy, booleans fixed: [String: Bool] = [:], limits: ExposureLimits = ExposureLimits()) throws(InputError) {
        let booleans = try ExposureBooleans(policy: policy, fixed: fixed, limit: limits.maxExactBooleans)
        let universe = ExposureUniverse(policy: policy, evaluator: AccessEvaluator(TypeEnforcement(policy: policy)), limits: limits)
        guard !universe.contexts.isEmpty else {
            throw InputError("the policy has no valid domain context (no user with a role with a type)", file: policy.origin.path)
        }
        self.universe = universe
        self.booleans = booleans
        decisions = try ExposureDecisions(universe: universe, booleans: booleans)
        chunkList = decisions.chunks()
        flows = FlowEvaluator(decisions, chunks: chunkList)
    }

    public var policy: Policy { universe.policy }
    public var contextCount: Int { universe.contexts.count }
    public var chunkCount: Int { chunkList.count }
    /// Whether every answer is exact (MLS levels and booleans enumerated, not sampled).
    public var isExact: Bool {
        (universe.levelMode == .off || universe.levelMode == .exact) && booleans.mode == .exact
    }

    /// The settings of chunk `c` that exist (bit k: setting `c * 64 + k`).
    public func valid(chunk c: Int) -> UInt64 { chunkList[c].valid }

    /// The setting number of bit `bit` of chunk `c`.
    public func setting(chunk c: Int, bit: Int) -> Int { chunkList[c].base + bit }

    /// The `--bool` values (relevant and fixed booleans, by name) of a setting.
    public func booleanValues(setting: Int) -> [String: Bool] { booleans.overrides(setting, policy: policy) }

    /// Settings in which context `i` has Argo state (`enable` against the xen SID).
    public func argo(_ i: Int, chunk c: Int) -> UInt64 { flows.argo[c][i] }

    /// Settings in which context `i` may register wildcard rings (with mac-permissive on).
    public func registerAnySource(_ i: Int, chunk c: Int) -> UInt64 { flows.any[c][i] }

    /// The flows of `i` -> `j` in `relation`; nil when the relation cannot exist (the same domain
    /// for two contexts, or a device-model arrangement Xen refuses).
    public func pair(_ i: Int, _ j: Int, _ relation: ExposureRelation, chunk c: Int) -> PairFlows? {
        guard let f = flows.evaluate(i, j, relation, c) else { return nil }
        return PairFlows(registerSingleSource: f.rss, send: f.send, channelWithoutWildcards: f.channelOff, channelWithWildcards: f.channelOn)
    }

    /// Whether a device-model relation between `i` and `j` can decide differently from two
    /// unrelated domains (a target SID of its own, or one Xen refuses); when false, callers may
    /// evaluate `.unrelated` alone for the three relations between two domains.
    public func deviceModelsMatter(_ i: Int, _ j: Int) -> Bool {
        decisions.hasSpecialDeviceModel[i] || decisions.hasSpecialDeviceModel[j]
    }
}

extension Exposure {
    /// A domain of a system file written by exposure: name, label, the domain it serves as device model.
    public struct SystemFileDomain: Sendable, Equatable {
        public var name: String
        public var label: String
        public var target: String?

        public init(name: String, label: String, target: String? = nil) {
            self.name = name
            self.label = label
            self.target = target
        }
    }

    /// A complete system file (docs/SYSTEM-FILE.md) for counterexamples: the `title` and the
    /// `argus audit` command line (with `--bool` for every given boolean) as comments, boot
    /// settings as exposure assumes them, the domains numbered from 1.
    public static func systemFile(title: String, domains: [SystemFileDomain], booleans: [String: Bool], macPermissive: Bool) -> String {
        var text = "# \(title)\n# argus audit POLICY --system FILE"
        for (name, value) in booleans.sorted(by: { $0.key < $1.key }) { text += " --bool \(name)=\(value)" }
        text += "\n[boot]\nargo = true\nmac_permissive = \(macPermissive)\nxsm = \"flask\"\nflask = \"enforcing\"\n"
        for (k, dom) in domains.enumerated() {
            text += "\n[[domain]]\nname = \"\(dom.name)\"\ndomid = \(k + 1)\nlabel = \"\(dom.label)\"\n"
            if let t = dom.target { text += "target = \"\(t)\"\n" }
        }
        return text
    }
}
