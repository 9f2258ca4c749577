// The rule half of PolicyGenerator: allow/auditallow/dontaudit rules, conditional
// blocks, typebounds copies, and constraint expressions.

extension PolicyBuilder {
    mutating func generateRules() {
        let argo = argoPerms
        // Argo itself: enable and wildcard rings are checked against the xen SID's type.
        for type in general {
            var perms: [String] = []
            if rng.chance(0.6) { perms.append("enable") }
            if rng.chance(0.15) { perms.append("register_any_source") }
            perms = perms.filter { defs.perms("argo").contains($0) }
            if !perms.isEmpty { rules.append(rule(type, xenType, "argo", perms)) }
        }
        if !argo.isEmpty {
            for _ in 0..<count(g.argoRuleDensity) {
                rules.append(rule(subject(), object(), "argo", rng.subset(argo, limit: 2)))
            }
        }
        let domainPerms = defs.perms("domain")
        if !domainPerms.isEmpty {
            for _ in 0..<count(g.domainRuleDensity) {
                rules.append(rule(subject(), object(), "domain", rng.subset(domainPerms, limit: 4)))
            }
        }
        let others = defs.classes.filter { $0 != "argo" && $0 != "domain" && !defs.perms($0).isEmpty }
        if !others.isEmpty {
            for _ in 0..<count(g.otherRuleDensity) {
                let cls = rng.pick(others)
                rules.append(rule(subject(), object(), cls, rng.subset(defs.perms(cls), limit: 3)))
            }
        }
        if features.contains(.domainTransitions) { transitionRules() }
        if features.contains(.selfTargets) {
            for _ in 0..<max(2, general.count / 10) where !argo.isEmpty {
                rules.append(rule(subject(), "self", "argo", rng.subset(argo, limit: 2)))
            }
        }
        if features.contains(.auditDontaudit) { auditRules() }
        if features.contains(.booleans) { conditionalBlocks() }
        if features.contains(.typebounds) { boundedCopies() }
        if features.contains(.constraints) {
            for k in 0..<g.constraints {
                let cls = k % 2 == 0 && !argo.isEmpty ? "argo" : "domain"
                let perms = rng.subset(defs.perms(cls), limit: 3)
                constraintLines.append("constrain \(cls) \(list(perms)) \(wrap(constraintExpression(depth: 2)));")
            }
        }
        if features.contains(.mls) {
            for k in 0..<max(2, g.constraints) {
                let cls = k % 2 == 0 && !argo.isEmpty ? "argo" : "domain"
                let perms = rng.subset(defs.perms(cls), limit: 3)
                mlsConstraintLines.append("mlsconstrain \(cls) \(list(perms)) \(wrap(mlsExpression(depth: 2)));")
            }
        }
    }

    var argoPerms: [String] {
        ["send", "register_single_source"].filter { defs.perms("argo").contains($0) }
    }

    func count(_ density: Double) -> Int { Int((Double(general.count) * density).rounded()) }

    func rule(_ source: String, _ target: String, _ cls: String, _ perms: [String],
              kind: String = "allow") -> GeneratedRule {
        GeneratedRule(kind: kind, source: source, target: target, cls: cls, perms: perms)
    }

    func list(_ names: [String]) -> String {
        names.count == 1 ? names[0] : "{ " + names.joined(separator: " ") + " }"
    }

    func wrap(_ expression: String) -> String {
        expression.hasPrefix("(") ? expression : "(\(expression))"
    }

    // MARK: - Rule ends

    /// A general type (sometimes by one of its aliases) or an attribute.
    mutating func subject() -> String {
        if !attributeNames.isEmpty, rng.chance(0.1) { return rng.pick(attributeNames) }
        let type = rng.pick(general)
        if let names = aliases[type], rng.chance(0.3) { return rng.pick(names) }
        return type
    }

    /// Like `subject()`, plus `self`, hypervisor-computed labels and xen_t.
    mutating func object() -> String {
        if features.contains(.selfTargets), rng.chance(0.08) { return "self" }
        let derived = derivedTypes
        if !derived.isEmpty, rng.chance(0.1) { return rng.pick(derived) }
        if rng.chance(0.03) { return xenType }
        return subject()
    }

    // MARK: - Feature rules

    mutating func transitionRules() {
        let argo = argoPerms
        let domainPerms = ["getdomaininfo", "shutdown", "pause", "unpause"].filter {
            defs.perms("domain").contains($0)
        }
        for type in general {
            guard let result = selfType[type] else { continue }
            if !argo.isEmpty, rng.chance(0.6) { rules.append(rule(type, result, "argo", rng.subset(argo, limit: 2))) }
            if !domainPerms.isEmpty { rules.append(rule(type, result, "domain", rng.subset(domainPerms, limit: 3))) }
        }
        for pair in deviceModels {
            guard let result = targetType[pair.guest] else { continue }
            if !domainPerms.isEmpty { rules.append(rule(pair.dm, result, "domain", rng.subset(domainPerms, limit: 2))) }
            if defs.perms("domain").contains("set_target") {
                rules.append(rule(pair.dm, pair.guest, "domain", ["set_target"]))
            }
            if !argo.isEmpty, rng.chance(0.7) { rules.append(rule(pair.dm, result, "argo", rng.subset(argo, limit: 2))) }
            if !argo.isEmpty, rng.chance(0.5) { rules.append(rule(pair.guest, pair.dm, "argo", ["send"])) }
        }
    }

    mutating func auditRules() {
        let argo = defs.perms("argo")
        let domain = defs.perms("domain")
        for k in 0..<max(2, general.count / 20) {
            let kind = k % 2 == 0 ? "auditallow" : "dontaudit"
            let useArgo = !argo.isEmpty && (domain.isEmpty || rng.chance(0.7))
            let perms = rng.subset(useArgo ? argo : domain, limit: 2)
            guard !perms.isEmpty else { continue }
            let target = useArgo && rng.chance(0.3) ? xenType : object()
            rules.append(rule(subject(), target, useArgo ? "argo" : "domain", perms, kind: kind))
        }
    }

    mutating func conditionalBlocks() {
        let names = booleanDecls.map(\.name)
        for _ in 0..<(names.count * 2) {
            let used = rng.subset(names, limit: 4)
            var text = "if (\(conditionExpression(used, depth: 2))) {\n"
            for _ in 0..<rng.within(1...3) { text += "\t" + conditionalRule().text + "\n" }
            if rng.chance(0.5) {
                text += "} else {\n"
                for _ in 0..<rng.within(1...2) { text += "\t" + conditionalRule().text + "\n" }
            }
            conditionals.append(text + "}")
        }
    }

    mutating func conditionalRule() -> GeneratedRule {
        let argo = argoPerms
        let useArgo = !argo.isEmpty && rng.chance(0.7)
        let cls = useArgo ? "argo" : "domain"
        let perms = rng.subset(useArgo ? argo : defs.perms(cls), limit: 3)
        var kind = "allow"
        if features.contains(.auditDontaudit), rng.chance(0.25) {
            kind = rng.chance(0.5) ? "auditallow" : "dontaudit"
        }
        return rule(subject(), object(), cls, perms, kind: kind)
    }

    /// Boolean expression over at most four booleans using ! && || ^ == !=.
    mutating func conditionExpression(_ names: [String], depth: Int) -> String {
        if depth == 0 || rng.chance(0.3) {
            let name = rng.pick(names)
            return rng.chance(0.3) ? "!\(name)" : name
        }
        let op = rng.pick(["&&", "||", "^", "==", "!="])
        let inner = "\(conditionExpression(names, depth: depth - 1)) \(op) \(conditionExpression(names, depth: depth - 1))"
        return rng.chance(0.2) ? "!(\(inner))" : "(\(inner))"
    }

    /// Each bounded child copies some of its parent's unconditional allow rules
    /// (so checkpolicy's bounds check passes), then a constraint takes one of those
    /// permissions away from the parent: the child ends up allowed more than its
    /// bound, which the hypervisor's bounds masking must then remove.
    mutating func boundedCopies() {
        for pair in bounds {
            var own = rules.filter { $0.kind == "allow" && $0.source == pair.parent }
            if !own.contains(where: { $0.cls == "argo" }), !argoPerms.isEmpty {
                let extra = rule(pair.parent, rng.pick(general), "argo", argoPerms)
                rules.append(extra)
                own.append(extra)
            }
            guard !own.isEmpty else { continue }
            var copies = rng.subset(own, limit: 4)
            if !copies.contains(where: { $0.cls == "argo" }), let first = own.first(where: { $0.cls == "argo" }) {
                copies.append(first)
            }
            for var copy in copies {
                copy.source = pair.child
                rules.append(copy)
            }
            let masked = copies.first(where: { $0.cls == "argo" }) ?? copies[0]
            constraintLines.append(
                "constrain \(masked.cls) \(rng.pick(masked.perms)) ( t1 != \(pair.parent) );")
        }
    }

    // MARK: - Constraint expressions

    func userNames() -> [String] { userDecls.map(\.name) }
    func roleNames() -> [String] { roleDecls.map(\.name) }

    mutating func names(_ pool: [String]) -> String { list(rng.subset(pool, limit: 3)) }

    mutating func constraintExpression(depth: Int) -> String {
        if depth == 0 || rng.chance(0.35) { return constraintLeaf() }
        switch rng.below(3) {
        case 0: return "(\(constraintExpression(depth: depth - 1)) and \(constraintExpression(depth: depth - 1)))"
        case 1: return "(\(constraintExpression(depth: depth - 1)) or \(constraintExpression(depth: depth - 1)))"
        default: return "not (\(constraintExpression(depth: depth - 1)))"
        }
    }

    mutating func constraintLeaf() -> String {
        let eq = rng.pick(["==", "!="])
        switch rng.below(7) {
        case 0: return "u1 \(eq) u2"
        case 1: return "\(rng.pick(["u1", "u2"])) \(eq) \(names(userNames()))"
        case 2: return "r1 \(rng.pick(["==", "!=", "dom", "domby", "incomp"])) r2"
        case 3: return "\(rng.pick(["r1", "r2"])) \(eq) \(names(roleNames()))"
        case 4: return "t1 \(eq) t2"
        default:
            let pool = rng.sample(general, 6) + rng.sample(attributeNames, 2) + aliases.values.flatMap { $0 }.prefix(1)
            return "\(rng.pick(["t1", "t2"])) \(eq) \(names(pool))"
        }
    }

    mutating func mlsExpression(depth: Int) -> String {
        if depth == 0 || rng.chance(0.35) { return mlsLeaf() }
        switch rng.below(3) {
        case 0: return "(\(mlsExpression(depth: depth - 1)) and \(mlsExpression(depth: depth - 1)))"
        case 1: return "(\(mlsExpression(depth: depth - 1)) or \(mlsExpression(depth: depth - 1)))"
        default: return "not (\(mlsExpression(depth: depth - 1)))"
        }
    }

    mutating func mlsLeaf() -> String {
        if rng.chance(0.2) { return "\(rng.pick(["t1", "t2"])) == \(names(rng.sample(general, 4)))" }
        let sides = [("l1", "l2"), ("l1", "h2"), ("h1", "l2"), ("h1", "h2"), ("l1", "h1"), ("l2", "h2")]
        let (left, right) = rng.pick(sides)
        return "\(left) \(rng.pick(["==", "!=", "eq", "dom", "domby", "incomp"])) \(right)"
    }
}
