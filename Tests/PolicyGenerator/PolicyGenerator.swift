// Seeded generator of complete Xen FLASK policies (policy.conf text, no m4 needed)
// for differential tests: the same policy is compiled by checkpolicy and its
// decisions compared with libsepol's.

/// One generated policy plus what a test needs to know about it.
public struct GeneratedPolicy: Sendable {
    /// Complete policy.conf text for `checkpolicy -t Xen` (add `-M` when `mls`).
    public var policyConf: String
    /// Domain contexts (`user:role:type[:level]`) that are valid in this policy.
    public var contexts: [String]
    /// Contexts given to the hypervisor's initial SIDs, in declaration order.
    public var initialSIDContexts: [InitialSIDContext]
    /// One line summarising the parameters, for test failure messages.
    public var description: String
    /// Whether the policy must be compiled with MLS enabled.
    public var mls: Bool
    /// Counts `seinfo` should report for the compiled policy.
    public var expected: ExpectedCounts
}

public struct InitialSIDContext: Sendable, Hashable {
    public var name: String
    public var context: String
}

/// What the generator declared, in the units `seinfo`'s statistics use.
public struct ExpectedCounts: Sendable, Hashable {
    public var types = 0
    /// Type aliases (not counted by seinfo's statistics; see `seinfo -x -t`).
    public var typeAliases = 0
    public var attributes = 0
    public var booleans = 0
    /// `constrain` statements (each names a single class).
    public var constraints = 0
    /// `mlsconstrain` statements (each names a single class).
    public var mlsConstraints = 0
    public var permissives = 0
    public var typebounds = 0
    public var users = 0
    /// Roles including the built-in `object_r`.
    public var roles = 0
    public var sensitivities = 0
    public var categories = 0
    /// `type_transition` statements (all on class `domain`).
    public var typeTransitions = 0
    public var initialSIDs = 0
}

public struct PolicyGenerator: Sendable {
    /// Optional policy features; each can be switched on alone or with any others.
    public struct Features: OptionSet, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Booleans and `if/else` blocks with compound expressions (`&& || ^ == != !`).
        public static let booleans = Features(rawValue: 1 << 0)
        /// `constrain` on argo and domain over u1/u2/r1/r2/t1/t2.
        public static let constraints = Features(rawValue: 1 << 1)
        /// Sensitivities, categories, levels, ranged users, `mlsconstrain`.
        public static let mls = Features(rawValue: 1 << 2)
        /// `typebounds` pairs; each child keeps a permission its parent loses to a constraint.
        public static let typebounds = Features(rawValue: 1 << 3)
        /// `permissive` types.
        public static let permissive = Features(rawValue: 1 << 4)
        /// `auditallow` and `dontaudit` rules.
        public static let auditDontaudit = Features(rawValue: 1 << 5)
        /// `typealias` declarations, with aliases used in rules.
        public static let aliases = Features(rawValue: 1 << 6)
        /// Rules whose target is `self`.
        public static let selfTargets = Features(rawValue: 1 << 7)
        /// `type_transition` on class domain: self SIDs and device-model target SIDs.
        public static let domainTransitions = Features(rawValue: 1 << 8)
        /// Several users and roles beyond system_u/system_r.
        public static let usersRoles = Features(rawValue: 1 << 9)

        public static let all: Features = [
            .booleans, .constraints, .mls, .typebounds, .permissive, .auditDontaudit,
            .aliases, .selfTargets, .domainTransitions, .usersRoles,
        ]

        /// Every single feature with its name, in a fixed order.
        public static let named: [(name: String, feature: Features)] = [
            ("booleans", .booleans), ("constraints", .constraints), ("mls", .mls),
            ("typebounds", .typebounds), ("permissive", .permissive),
            ("auditDontaudit", .auditDontaudit), ("aliases", .aliases),
            ("selfTargets", .selfTargets), ("domainTransitions", .domainTransitions),
            ("usersRoles", .usersRoles),
        ]

        public var description: String {
            let names = Self.named.filter { contains($0.feature) }.map(\.name)
            return names.isEmpty ? "[]" : "[" + names.joined(separator: ",") + "]"
        }
    }

    public var seed: UInt64
    /// General-purpose domain types (at least 3; more types are added for initial
    /// SIDs, self/target SIDs and bounded children).
    public var types: Int
    public var attributes: Int
    public var features: Features
    /// Probability that a given general type carries a given attribute.
    public var attributeDensity: Double
    /// `allow` rules on class argo per general type.
    public var argoRuleDensity: Double
    /// `allow` rules on class domain per general type.
    public var domainRuleDensity: Double
    /// `allow` rules on other classes (domain2, event, grant, mmu, ...) per general type.
    public var otherRuleDensity: Double
    /// Booleans declared when `.booleans` is on.
    public var booleans: Int
    /// `constrain` statements when `.constraints` is on; `mlsconstrain` count under `.mls`.
    public var constraints: Int
    /// Extra users and roles when `.usersRoles` is on.
    public var users: Int
    public var roles: Int
    /// MLS sensitivities (s0...) and categories (c0...) when `.mls` is on.
    public var sensitivities: Int
    public var categories: Int
    /// Upper bound on the number of domain contexts returned.
    public var contextLimit: Int

    public init(
        seed: UInt64,
        types: Int,
        attributes: Int,
        features: Features,
        attributeDensity: Double = 0.05,
        argoRuleDensity: Double = 1.5,
        domainRuleDensity: Double = 0.5,
        otherRuleDensity: Double = 0.3,
        booleans: Int = 4,
        constraints: Int = 4,
        users: Int = 3,
        roles: Int = 3,
        sensitivities: Int = 4,
        categories: Int = 8,
        contextLimit: Int = 40
    ) {
        self.seed = seed
        self.types = max(3, types)
        self.attributes = max(0, attributes)
        self.features = features
        self.attributeDensity = attributeDensity
        self.argoRuleDensity = argoRuleDensity
        self.domainRuleDensity = domainRuleDensity
        self.otherRuleDensity = otherRuleDensity
        self.booleans = max(1, booleans)
        self.constraints = max(1, constraints)
        self.users = max(1, users)
        self.roles = max(1, roles)
        self.sensitivities = max(1, sensitivities)
        self.categories = max(1, categories)
        self.contextLimit = max(1, contextLimit)
    }

    public var summary: String {
        "seed=\(seed) types=\(types) attributes=\(attributes) density=\(attributeDensity) "
            + "argo=\(argoRuleDensity) domain=\(domainRuleDensity) other=\(otherRuleDensity) "
            + "features=\(features)"
    }

    /// Builds the policy. The definitions are the texts of Xen's security_classes,
    /// initial_sids and access_vectors files; they are copied into the output verbatim.
    public func generate(
        definitions: (securityClasses: String, initialSIDs: String, accessVectors: String)
    ) -> GeneratedPolicy {
        let defs = GeneratorDefinitions(
            securityClasses: definitions.securityClasses,
            initialSIDs: definitions.initialSIDs,
            accessVectors: definitions.accessVectors)
        var builder = PolicyBuilder(generator: self, definitions: defs)
        builder.build()
        var text = ""
        for part in [definitions.securityClasses, definitions.initialSIDs, definitions.accessVectors] {
            text += part
            if !part.hasSuffix("\n") { text += "\n" }
        }
        text += builder.render()
        return GeneratedPolicy(
            policyConf: text,
            contexts: builder.domainContexts(),
            initialSIDContexts: builder.sidContexts,
            description: summary,
            mls: features.contains(.mls),
            expected: builder.expected)
    }
}
