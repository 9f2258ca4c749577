/// Why one flow holds on one side of a diff and not on the other: the hooks of the flow's
/// explanation chain whose answer (or whose rules) differ between the two policies.
public struct FlowChangeReason: Sendable, Equatable, Codable {
    /// The hook as the old policy answers it (denial reasons or granting rules).
    public var old: HookExplanation
    /// The same hook under the new policy.
    public var new: HookExplanation
}

/// A flow gained or lost between two policies, with the reasons on each side.
public struct FlowChange: Sendable, Equatable, Codable {
    public enum Direction: String, Sendable, Codable { case added, removed }

    public var instance: FlowInstance
    public var direction: Direction
    /// The hooks that changed answer or rules, old and new side by side; never empty when
    /// the chains could be compared (the flow changed, so some hook did).
    public var reasons: [FlowChangeReason]
}

/// The difference between the audits of two policies over one inventory.
public struct AuditDiff: Sendable, Equatable {
    /// In inventory order: per-domain flows first, then pairs by source, target and flow.
    public var changes: [FlowChange]

    public var added: [FlowChange] { changes.filter { $0.direction == .added } }
    public var removed: [FlowChange] { changes.filter { $0.direction == .removed } }
    public var isEmpty: Bool { changes.isEmpty }

    /// Compares the audits. Both systems must bind the same inventory (same domains, same order).
    public init(old: ResolvedSystem, new: ResolvedSystem) {
        precondition(old.domains.map(\.name) == new.domains.map(\.name), "both sides must audit the same inventory")
        let oldAudit = ArgoAudit(old), newAudit = ArgoAudit(new)
        let oldExplainer = Explainer(old), newExplainer = Explainer(new)
        let names = old.domains.map(\.name)
        var changes: [FlowChange] = []

        func compare(_ flow: AuditFlowName, _ i: Int, _ j: Int?) {
            let before = oldAudit.holds(flow, i, j), after = newAudit.holds(flow, i, j)
            guard before != after else { return }
            let oldChain = oldExplainer.explain(flow: flow.rawValue, i, j)
            let newChain = newExplainer.explain(flow: flow.rawValue, i, j)
            changes.append(FlowChange(
                instance: FlowInstance(source: names[i], target: j.map { names[$0] }, flow: flow),
                direction: after ? .added : .removed,
                reasons: Self.differingHooks(old: oldChain, new: newChain)))
        }

        for i in names.indices {
            for flow in AuditFlowName.auditFlows where flow.isPerDomain { compare(flow, i, nil) }
        }
        for i in names.indices {
            for j in names.indices {
                for flow in AuditFlowName.auditFlows where !flow.isPerDomain { compare(flow, i, j) }
            }
        }
        self.changes = changes
    }

    /// The hooks of two chains (same shape: same inventory, same flow) that answer differently.
    /// When no hook's answer differs (a permissive override, a boot setting), the hooks whose
    /// rules or steps differ are given instead, so a change is never left without a reason.
    static func differingHooks(old: [HookExplanation], new: [HookExplanation]) -> [FlowChangeReason] {
        let pairs = Array(zip(old, new))
        for differs in [{ (o: HookExplanation, n: HookExplanation) in o.allowed != n.allowed },
                        { $0.rules != $1.rules }, { $0 != $1 }] {
            let reasons = pairs.filter { differs($0.0, $0.1) }.map { FlowChangeReason(old: $0.0, new: $0.1) }
            if !reasons.isEmpty { return reasons }
        }
        return []
    }
}
