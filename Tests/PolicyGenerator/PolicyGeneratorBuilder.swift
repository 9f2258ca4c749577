// The declaration half of PolicyGenerator: types, attributes, aliases, SIDs,
// users, roles, MLS, and the final rendering. Rules live in PolicyGeneratorRules.swift.

struct GeneratedRule {
    var kind: String  // allow, auditallow, dontaudit
    var source: String
    var target: String
    var cls: String
    var perms: [String]

    var text: String {
        let list = perms.count == 1 ? perms[0] : "{ " + perms.joined(separator: " ") + " }"
        return "\(kind) \(source) \(target):\(cls) \(list);"
    }
}

struct GeneratedUser {
    var name: String
    var roles: [String]
    /// MLS: default level s<low>, range s<low> - s<high>:c0.c<topCategory>.
    var low = 0
    var high = 0
    var topCategory = 0
}

struct PolicyBuilder {
    let g: PolicyGenerator
    let defs: GeneratorDefinitions
    var rng: SplitMix64
    var features: PolicyGenerator.Features { g.features }

    var general: [String] = []
    var attributeNames: [String] = []
    var typeAttributes: [String: [String]] = [:]
    var aliases: [String: [String]] = [:]
    /// Types declared besides the general ones: SID types, self/target types, bounded children.
    var extraTypes: [String] = []
    var selfType: [String: String] = [:]
    var targetType: [String: String] = [:]
    var deviceModels: [(guest: String, dm: String)] = []
    var transitions: [String] = []
    var bounds: [(parent: String, child: String)] = []
    var permissives: [String] = []
    var booleanDecls: [(name: String, value: Bool)] = []
    var roleDecls: [(name: String, types: [String])] = []
    var userDecls: [GeneratedUser] = []
    var rules: [GeneratedRule] = []
    var conditionals: [String] = []
    var constraintLines: [String] = []
    var mlsConstraintLines: [String] = []
    var sidContexts: [InitialSIDContext] = []
    var sidType: [String: String] = [:]
    let xenType = "xen_t"

    init(generator: PolicyGenerator, definitions: GeneratorDefinitions) {
        g = generator
        defs = definitions
        rng = SplitMix64(seed: generator.seed)
    }

    var mls: Bool { features.contains(.mls) }
    /// Self and device-model target types: labels the hypervisor computes.
    var derivedTypes: [String] {
        general.compactMap { selfType[$0] } + Array(Set(targetType.values)).sorted()
    }

    mutating func build() {
        declareTypes()
        declareSIDTypes()
        if features.contains(.aliases) { declareAliases() }
        if features.contains(.domainTransitions) { declareTransitions() }
        if features.contains(.typebounds) { declareBounds() }
        if features.contains(.permissive) {
            permissives = rng.sample(general, max(1, general.count / 50))
        }
        if features.contains(.booleans) {
            booleanDecls = (0..<g.booleans).map { ("flag\($0)", rng.chance(0.5)) }
        }
        declareRolesAndUsers()
        generateRules()
        declareSIDContexts()
    }

    // MARK: - Declarations

    mutating func declareTypes() {
        general = (0..<g.types).map { "t\($0)_t" }
        attributeNames = (0..<g.attributes).map { "attr\($0)" }
        var members = [Int](repeating: 0, count: attributeNames.count)
        for type in general {
            var list: [String] = []
            for (j, attr) in attributeNames.enumerated() where rng.chance(g.attributeDensity) {
                list.append(attr)
                members[j] += 1
            }
            typeAttributes[type] = list
        }
        // No empty attributes: every attribute used in a rule should stand for something.
        for (j, attr) in attributeNames.enumerated() where members[j] == 0 {
            typeAttributes[rng.pick(general), default: []].append(attr)
        }
    }

    /// dom0, domU and domDM label general types (so they take part in the rules);
    /// every other initial SID gets a dedicated `<sid>_t` type.
    mutating func declareSIDTypes() {
        let shared = ["dom0": 0, "domU": 1, "domDM": 2]
        for sid in defs.initialSIDs {
            if let index = shared[sid] {
                sidType[sid] = general[index]
            } else {
                let type = sid == "xen" ? xenType : "\(sid)_t"
                sidType[sid] = type
                if !extraTypes.contains(type) { extraTypes.append(type) }
            }
        }
        if !extraTypes.contains(xenType) { extraTypes.append(xenType) }
    }

    mutating func declareAliases() {
        for type in rng.sample(general, max(2, general.count / 10)) {
            aliases[type] = (0..<rng.within(1...2)).map { "\(type.dropLast(2))_a\($0)" }
        }
    }

    mutating func declareTransitions() {
        for type in rng.sample(general, max(2, general.count / 10)) {
            let result = "\(type.dropLast(2))_self"
            selfType[type] = result
            extraTypes.append(result)
            transitions.append("type_transition \(type) \(type):domain \(result);")
        }
        var seen = Set<String>()
        for _ in 0..<max(1, general.count / 20) {
            let guest = rng.pick(general)
            let dm = rng.pick(general)
            guard guest != dm, seen.insert("\(guest) \(dm)").inserted else { continue }
            let result = targetType[guest] ?? "\(guest.dropLast(2))_target"
            if targetType[guest] == nil {
                targetType[guest] = result
                extraTypes.append(result)
            }
            deviceModels.append((guest, dm))
            transitions.append("type_transition \(guest) \(dm):domain \(result);")
        }
    }

    mutating func declareBounds() {
        for (k, parent) in rng.sample(general, max(1, general.count / 100)).enumerated() {
            let child = "bnd\(k)_t"
            extraTypes.append(child)
            bounds.append((parent, child))
        }
    }

    mutating func declareRolesAndUsers() {
        roleDecls = [("system_r", general + extraTypes)]
        var system = GeneratedUser(name: "system_u", roles: ["system_r"])
        system.high = g.sensitivities - 1
        system.topCategory = g.categories - 1
        userDecls = [system]
        guard features.contains(.usersRoles) else { return }
        for k in 0..<g.roles {
            var types = rng.sample(general, rng.within(1...max(1, general.count / 3)))
            types += types.compactMap { selfType[$0] } + types.compactMap { targetType[$0] }
            roleDecls.append(("role\(k)_r", types))
        }
        let extraRoles = roleDecls.dropFirst().map(\.name)
        for k in 0..<g.users {
            var roles = rng.subset(extraRoles, limit: 2)
            if rng.chance(0.3) { roles.append("system_r") }
            var user = GeneratedUser(name: "user\(k)_u", roles: roles)
            user.low = rng.below(g.sensitivities)
            user.high = rng.within(user.low...(g.sensitivities - 1))
            user.topCategory = rng.below(g.categories)
            userDecls.append(user)
        }
    }

    mutating func declareSIDContexts() {
        let objects: Set<String> = ["irq", "iomem", "ioport", "device"]
        sidContexts = defs.initialSIDs.map { sid in
            let role = objects.contains(sid) ? "object_r" : "system_r"
            let type = sidType[sid] ?? xenType
            return InitialSIDContext(name: sid, context: "system_u:\(role):\(type)" + (mls ? ":s0" : ""))
        }
    }

    // MARK: - Contexts

    /// Valid domain contexts: the SID domains, the hypervisor-computed labels, the
    /// special types, then a sample of the rest, capped at `contextLimit`.
    func domainContexts() -> [String] {
        var rng = SplitMix64(seed: g.seed ^ 0xC0DE_C0DE)
        var candidates = ["dom0", "domU", "domDM"].compactMap { sidType[$0] }
        candidates += derivedTypes + bounds.flatMap { [$0.parent, $0.child] } + permissives
        candidates += rng.sample(general, g.contextLimit)
        var seen = Set<String>()
        var contexts: [String] = []
        for type in candidates where seen.insert(type).inserted {
            guard contexts.count < g.contextLimit else { break }
            contexts.append(context(for: type, rng: &rng))
        }
        return contexts
    }

    func context(for type: String, rng: inout SplitMix64) -> String {
        var user = userDecls[0]
        var role = "system_r"
        let roles = roleDecls.dropFirst().filter { $0.types.contains(type) }.map(\.name)
        let holders = userDecls.dropFirst().filter { !Set($0.roles).isDisjoint(with: roles) }
        if !holders.isEmpty, rng.chance(0.6) {
            user = rng.pick(holders)
            role = rng.pick(user.roles.filter { roles.contains($0) })
        }
        var text = "\(user.name):\(role):\(type)"
        guard mls else { return text }
        let sens = rng.within(user.low...user.high)
        text += ":s\(sens)"
        if rng.chance(0.5) { text += ":c\(rng.within(0...user.topCategory))" }
        if rng.chance(0.2) { text += " - s\(user.high):\(categoryRange(user.topCategory))".replacingSpaces() }
        return text
    }

    func categoryRange(_ top: Int) -> String { top == 0 ? "c0" : "c0.c\(top)" }

    // MARK: - Output

    var expected: ExpectedCounts {
        var counts = ExpectedCounts()
        counts.types = general.count + extraTypes.count
        counts.typeAliases = aliases.values.reduce(0) { $0 + $1.count }
        counts.attributes = attributeNames.count
        counts.booleans = booleanDecls.count
        counts.constraints = constraintLines.count
        counts.mlsConstraints = mlsConstraintLines.count
        counts.permissives = permissives.count
        counts.typebounds = bounds.count
        counts.users = userDecls.count
        counts.roles = roleDecls.count + 1
        counts.sensitivities = mls ? g.sensitivities : 0
        counts.categories = mls ? g.categories : 0
        counts.typeTransitions = transitions.count
        counts.initialSIDs = defs.initialSIDs.count
        return counts
    }

    func render() -> String {
        var out: [String] = ["", "# Generated by Argus PolicyGenerator: \(g.summary)", ""]
        if mls {
            out += (0..<g.sensitivities).map { "sensitivity s\($0);" }
            out.append("dominance { " + (0..<g.sensitivities).map { "s\($0)" }.joined(separator: " ") + " }")
            out += (0..<g.categories).map { "category c\($0);" }
            out += (0..<g.sensitivities).map { "level s\($0):\(categoryRange(g.categories - 1));" }
            out += mlsConstraintLines
        }
        out += attributeNames.map { "attribute \($0);" }
        for type in general {
            let attrs = typeAttributes[type] ?? []
            out.append("type \(type)" + attrs.map { ", \($0)" }.joined() + ";")
        }
        out += extraTypes.map { "type \($0);" }
        for type in general {
            if let names = aliases[type] { out.append("typealias \(type) alias { \(names.joined(separator: " ")) };") }
        }
        out += bounds.map { "typebounds \($0.parent) \($0.child);" }
        out += permissives.map { "permissive \($0);" }
        out += booleanDecls.map { "bool \($0.name) \($0.value);" }
        out += rules.map(\.text)
        out += transitions
        out += conditionals
        for role in roleDecls {
            out.append("role \(role.name);")
            for start in stride(from: 0, to: role.types.count, by: 24) {
                let chunk = role.types[start..<min(start + 24, role.types.count)]
                out.append("role \(role.name) types { \(chunk.joined(separator: " ")) };")
            }
        }
        for user in userDecls {
            var line = "user \(user.name) roles { \(user.roles.joined(separator: " ")) }"
            if mls {
                line += " level s\(user.low) range s\(user.low) - s\(user.high):\(categoryRange(user.topCategory))"
            }
            out.append(line + ";")
        }
        out += constraintLines
        out += sidContexts.map { "sid \($0.name) \($0.context)" }
        return out.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// Contexts are single tokens in policy.conf, so ranges are written without spaces.
    fileprivate func replacingSpaces() -> String { filter { $0 != " " } }
}
