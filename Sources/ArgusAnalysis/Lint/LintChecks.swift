import ArgoEngine
import Sepol
import XenProfile

/// The Argo lint checks, in id order. Each carries the examples that document and test it.
public enum LintChecks {
    public static let all: [LintCheck] = [
        hypervisorPermissionOffXen, peerPermissionOnUncheckedLabel, ringNeverFed, sendNeverDelivered,
        wildcardRingsDisabledAtBoot, argoWithoutEnable, selfRuleBypassed, dontauditHidesMisconfiguration,
    ]

    static let selfTransitionA = "type a_self_t;\ntype_transition dom_a_t dom_a_t:domain a_self_t;\n"

    // MARK: ARGO001

    static let hypervisorPermissionOffXen = LintCheck(
        id: "ARGO001", name: "hypervisor-permission-off-xen",
        summary: "`enable` or `register_any_source` granted on a type other than the `xen` initial SID's: Xen only ever checks these two against the hypervisor's label.",
        triggering: [
            LintExample("allow dom_a_t dom_b_t:argo enable;"),
            LintExample("allow dom_a_t self:argo register_any_source;"),
        ],
        nonTriggering: [
            LintExample("allow dom_a_t xen_t:argo { enable register_any_source };"),
        ]
    ) { facts in
        var out: [LintIssue] = []
        for (index, e) in facts.argoEntries(.allow) {
            for p in facts.permissions(in: e.data) where p == .enable || p == .registerAnySource {
                let wrong = facts.covers[Int(e.target) - 1].filter { $0 != facts.xenType }
                guard !wrong.isEmpty else { continue }
                let names = wrong.map(facts.name).sorted().joined(separator: ", ")
                let xen = facts.xenType.map(facts.name) ?? "the xen initial SID's type"
                out.append(LintIssue(
                    "\(facts.name(e.source)) is granted \(p.rawValue) on \(names); Xen checks \(p.rawValue) only against \(xen), so this grant is never used",
                    facts.locator.references(entry: index, permission: p.rawValue).first))
            }
        }
        return out
    }

    // MARK: ARGO002

    static let peerPermissionOnUncheckedLabel = LintCheck(
        id: "ARGO002", name: "peer-permission-on-unchecked-label",
        summary: "`send` or `register_single_source` granted on a label Xen never checks for that source: the hypervisor's type, a non-domain type, or another type's self/device-model label.",
        triggering: [
            LintExample("allow dom_a_t xen_t:argo send;"),
            LintExample("allow dom_a_t hv_object_t:argo register_single_source;"),
            LintExample("type b_self_t;\ntype_transition dom_b_t dom_b_t:domain b_self_t;\nallow dom_a_t b_self_t:argo send;"),
        ],
        nonTriggering: [
            LintExample("allow dom_a_t dom_b_t:argo { send register_single_source };"),
            LintExample(selfTransitionA + "allow dom_a_t a_self_t:argo send;"),
            LintExample("type a_target_t;\ntype_transition dom_a_t dom_c_t:domain a_target_t;\nallow dom_c_t a_target_t:argo send;"),
        ]
    ) { facts in
        var out: [LintIssue] = []
        for (index, e) in facts.argoEntries(.allow) {
            for p in facts.permissions(in: e.data) where p == .send || p == .registerSingleSource {
                for s in facts.covers[Int(e.source) - 1] where facts.domainTypes.contains(s) {
                    let wrong = facts.covers[Int(e.target) - 1].filter { !facts.isPeerLabel($0, forSource: s) }
                    guard !wrong.isEmpty else { continue }
                    let names = wrong.map(facts.name).sorted().joined(separator: ", ")
                    out.append(LintIssue(
                        "\(facts.name(s)) is granted \(p.rawValue) on \(names); Xen checks \(p.rawValue) from \(facts.name(s)) only against a partner domain's label (or its own self/device-model label), never \(wrong.count == 1 ? "this one" : "these")",
                        facts.locator.references(entry: index, permission: p.rawValue).first))
                }
            }
        }
        return out
    }

    // MARK: ARGO003

    static let ringNeverFed = LintCheck(
        id: "ARGO003", name: "ring-never-fed",
        summary: "`register_single_source` toward a partner that may not `send` back: the ring can be registered but never receive.",
        triggering: [
            LintExample("allow dom_a_t dom_b_t:argo register_single_source;"),
            LintExample(selfTransitionA + "allow dom_a_t a_self_t:argo register_single_source;"),
        ],
        nonTriggering: [
            LintExample("allow dom_a_t dom_b_t:argo register_single_source;\nallow dom_b_t dom_a_t:argo send;"),
            LintExample(selfTransitionA + "allow dom_a_t a_self_t:argo { register_single_source send };"),
        ]
    ) { facts in
        var out: [LintIssue] = []
        for r in facts.sortedDomainTypes {
            for t in facts.peerLabels(forSource: r) where facts.allows(r, t, .registerSingleSource) {
                guard let (sender, labels) = facts.sender(ofRingOf: r, for: t),
                      !labels.contains(where: { facts.allows(sender, $0, .send) }) else { continue }
                let who = sender == r ? "itself (checked against \(facts.name(t)))" : facts.name(t)
                out.append(LintIssue(
                    "\(facts.name(r)) may register_single_source for \(who), but \(facts.name(sender)) may not send to \(labels.map(facts.name).joined(separator: " or ")): the ring can never receive",
                    facts.reference(r, t, .registerSingleSource)))
            }
        }
        return out
    }

    // MARK: ARGO004

    static let sendNeverDelivered = LintCheck(
        id: "ARGO004", name: "send-never-delivered",
        summary: "`send` to a receiver that may neither register a single-source ring for the sender nor hold (usable) wildcard rings: every message is dropped.",
        triggering: [
            LintExample("allow dom_a_t dom_b_t:argo send;"),
            LintExample("allow dom_a_t dom_b_t:argo send;\nallow dom_b_t xen_t:argo register_any_source;",
                        boot: BootSettings(argo: true, macPermissive: false)),
        ],
        nonTriggering: [
            LintExample("allow dom_a_t dom_b_t:argo send;\nallow dom_b_t dom_a_t:argo register_single_source;"),
            LintExample("allow dom_a_t dom_b_t:argo send;\nallow dom_b_t xen_t:argo register_any_source;"),
        ]
    ) { facts in
        var out: [LintIssue] = []
        for s in facts.sortedDomainTypes {
            for t in facts.peerLabels(forSource: s) where facts.allows(s, t, .send) {
                guard let (r, ringLabel) = facts.receiver(ofSendFrom: s, to: t),
                      !facts.allows(r, ringLabel, .registerSingleSource), !facts.hasUsableWildcard(r) else { continue }
                let target = r == s ? "itself (checked against \(facts.name(t)))" : facts.name(t)
                let wildcardNote = facts.xenType.map { facts.allows(r, $0, .registerAnySource) } == true
                    ? " (its wildcard rings are disabled by the boot settings)" : ""
                out.append(LintIssue(
                    "\(facts.name(s)) may send to \(target), but \(facts.name(r)) may neither register_single_source for \(facts.name(ringLabel)) nor hold wildcard rings\(wildcardNote): every message is dropped",
                    facts.reference(s, t, .send)))
            }
        }
        return out
    }

    // MARK: ARGO005

    static let wildcardRingsDisabledAtBoot = LintCheck(
        id: "ARGO005", name: "wildcard-rings-disabled-at-boot",
        summary: "`register_any_source` granted while the system's boot settings (`--system`) refuse wildcard rings (Argo off, or `mac-permissive` off under FLASK): the grant is never used.",
        triggering: [
            LintExample("allow dom_a_t xen_t:argo { enable register_any_source };", boot: BootSettings(argo: true, macPermissive: false)),
        ],
        nonTriggering: [
            LintExample("allow dom_a_t xen_t:argo { enable register_any_source };", boot: BootSettings(argo: true, macPermissive: true)),
            LintExample("allow dom_a_t xen_t:argo { enable register_any_source };"),
        ]
    ) { facts in
        guard let boot = facts.boot, boot.xsm == .flask, !(boot.argo && boot.macPermissive), let xen = facts.xenType else { return [] }
        let why = boot.argo ? "mac-permissive is off (argo=...,mac-permissive=1 not on the Xen command line)" : "Argo is off at boot"
        return facts.sortedDomainTypes.filter { facts.allows($0, xen, .registerAnySource) }.map { s in
            LintIssue(
                "\(facts.name(s)) may register_any_source, but \(why): every wildcard registration fails before the hook is asked",
                facts.reference(s, xen, .registerAnySource))
        }
    }

    // MARK: ARGO006

    static let argoWithoutEnable = LintCheck(
        id: "ARGO006", name: "argo-without-enable",
        summary: "A domain type holds argo permissions but may not `enable` Argo: its domains get no Argo state, so the other permissions are never used.",
        triggering: [
            LintExample("allow dom_a_t dom_b_t:argo send;"),
        ],
        nonTriggering: [
            LintExample("allow dom_a_t xen_t:argo enable;\nallow dom_a_t dom_b_t:argo send;"),
        ]
    ) { facts in
        guard let xen = facts.xenType else { return [] }
        let others = facts.bits[.send]! | facts.bits[.registerSingleSource]! | facts.bits[.registerAnySource]!
        var out: [LintIssue] = []
        for s in facts.sortedDomainTypes where !facts.allows(s, xen, .enable) {
            guard let (index, e) = facts.argoEntries(.allow).first(where: {
                $0.entry.data & others != 0 && facts.covers[Int($0.entry.source) - 1].contains(s)
            }) else { continue }
            let p = facts.permissions(in: e.data & others)
            out.append(LintIssue(
                "\(facts.name(s)) holds argo { \(p.map(\.rawValue).joined(separator: " ")) } but may not enable Argo: its domains get no Argo state and every Argo call they make fails",
                facts.locator.references(entry: index, permission: p[0].rawValue).first))
        }
        return out
    }

    // MARK: ARGO007

    static let selfRuleBypassed = LintCheck(
        id: "ARGO007", name: "self-rule-bypassed",
        summary: "`allow T T:argo P` (or `T self`) where `type_transition T T:domain T_self` exists: a domain acting on itself is checked against T_self, so the rule does not let it talk to itself.",
        triggering: [
            LintExample(selfTransitionA + "allow dom_a_t self:argo send;"),
            LintExample(selfTransitionA + "allow dom_a_t dom_a_t:argo register_single_source;"),
        ],
        nonTriggering: [
            LintExample(selfTransitionA + "allow dom_a_t self:argo send;\nallow dom_a_t a_self_t:argo send;"),
            LintExample("allow dom_a_t self:argo send;"),
        ]
    ) { facts in
        var out: [LintIssue] = []
        for (index, e) in facts.argoEntries(.allow) where e.source == e.target && !facts.policy.type(e.source).isAttribute {
            guard let selfLabel = facts.selfType[e.source] else { continue }
            for p in facts.permissions(in: e.data) where (p == .send || p == .registerSingleSource) && !facts.allows(e.source, selfLabel, p) {
                let t = facts.name(e.source)
                out.append(LintIssue(
                    "\(t) is granted \(p.rawValue) on itself, but a \(t) domain acting on itself is checked against \(facts.name(selfLabel)) (type_transition \(t) \(t):domain \(facts.name(selfLabel))), which lacks \(p.rawValue); this rule only serves two different \(t) domains",
                    facts.locator.references(entry: index, permission: p.rawValue).first))
            }
        }
        return out
    }

    // MARK: ARGO008

    static let dontauditHidesMisconfiguration = LintCheck(
        id: "ARGO008", name: "dontaudit-hides-misconfiguration",
        summary: "`dontaudit` silences argo denials that point at a broken set-up: a send toward a domain that holds a ring for the sender, a ring for a partner that may send, or `enable` for a type with other argo permissions.",
        triggering: [
            LintExample("allow dom_b_t dom_a_t:argo register_single_source;\ndontaudit dom_a_t dom_b_t:argo send;"),
            LintExample("allow dom_a_t dom_b_t:argo send;\ndontaudit dom_b_t dom_a_t:argo register_single_source;"),
            LintExample("allow dom_a_t dom_b_t:argo send;\ndontaudit dom_a_t xen_t:argo enable;"),
        ],
        nonTriggering: [
            LintExample("dontaudit dom_a_t dom_b_t:argo send;"),
            LintExample("allow dom_b_t dom_a_t:argo register_single_source;\nallow dom_a_t dom_b_t:argo send;\ndontaudit dom_a_t dom_b_t:argo send;"),
        ]
    ) { facts in
        var out: [LintIssue] = []
        let all = facts.bits.values.reduce(0, |)
        for (index, e) in facts.argoEntries(.auditdeny) {
            let silenced = facts.permissions(in: ~e.data & all)
            for s in facts.covers[Int(e.source) - 1] where facts.domainTypes.contains(s) {
                for t in facts.covers[Int(e.target) - 1] {
                    for p in silenced where !facts.allows(s, t, p) {
                        var why: String?
                        switch p {
                        case .send:
                            if let (r, label) = facts.receiver(ofSendFrom: s, to: t), facts.allows(r, label, .registerSingleSource) {
                                why = "\(facts.name(r)) may register a ring for \(facts.name(label))"
                            }
                        case .registerSingleSource:
                            if let (f, labels) = facts.sender(ofRingOf: s, for: t), labels.contains(where: { facts.allows(f, $0, .send) }) {
                                why = "\(facts.name(f)) may send to it"
                            }
                        case .enable:
                            if t == facts.xenType, facts.argoEntries(.allow).contains(where: { facts.covers[Int($0.entry.source) - 1].contains(s) }) {
                                why = "\(facts.name(s)) holds other argo permissions"
                            }
                        case .registerAnySource:
                            break
                        }
                        guard let why else { continue }
                        out.append(LintIssue(
                            "dontaudit hides denials of \(p.rawValue) from \(facts.name(s)) to \(facts.name(t)), yet \(why): the silenced denial is a misconfiguration",
                            facts.locator.references(entry: index, permission: p.rawValue).first))
                    }
                }
            }
        }
        return out
    }
}
