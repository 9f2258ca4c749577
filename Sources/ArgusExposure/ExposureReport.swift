import XenProfile
import ArgoEngine
import Flask

/// The answer for one flow over the whole universe.
public enum ExposureAnswer: String, Sendable, Codable, CaseIterable {
    /// Whatever the labels, relation and booleans (and mac-permissive) are.
    case always
    /// For no label, relation or boolean setting.
    case never
    /// For some only: see the conditions and the counterexample.
    case conditional

    public var letter: Character {
        switch self {
        case .always: "A"
        case .never: "N"
        case .conditional: "C"
        }
    }
}

/// The flows of the audit: two per domain, four per ordered pair.
public enum ExposureFlow: String, Sendable, CaseIterable, Codable {
    case argo
    case registerAnySource = "register_any_source"
    case registerSingleSource = "register_single_source"
    case send, notify, channel

    public static let perDomain: [ExposureFlow] = [.argo, .registerAnySource]
    public static let perPair: [ExposureFlow] = [.registerSingleSource, .send, .notify, .channel]
}

/// What every combination that has a flow shares, in words and as data. Each item is a
/// necessary condition (no combination without it has the flow); together with the
/// counterexample they say when the flow is possible.
public struct ExposureConditions: Sendable, Equatable, Codable {
    public var words: [String] = []
    public var sourceUsers: [String]?
    public var sourceRoles: [String]?
    public var sourceRanges: [String]?
    public var targetUsers: [String]?
    public var targetRoles: [String]?
    public var targetRanges: [String]?
    /// Every such combination has the same user (role, range) on both sides.
    public var sameUser: Bool?
    public var sameRole: Bool?
    public var sameRange: Bool?
    /// The (source, target) user and role pairs, when the one-sided lists do not say it.
    public var userPairs: [String]?
    public var rolePairs: [String]?
    public var relations: [String]?
    public var booleans: [String: Bool]?
    public var macPermissive: Bool?

    enum CodingKeys: String, CodingKey {
        case words
        case sourceUsers = "source_users", sourceRoles = "source_roles", sourceRanges = "source_ranges"
        case targetUsers = "target_users", targetRoles = "target_roles", targetRanges = "target_ranges"
        case sameUser = "same_user", sameRole = "same_role", sameRange = "same_range"
        case userPairs = "user_pairs", rolePairs = "role_pairs"
        case relations, booleans
        case macPermissive = "mac_permissive"
    }
}

/// One flow's answer for a type (per-domain flows) or an ordered pair of types.
public struct ExposureCell: Sendable, Equatable {
    public var answer: ExposureAnswer
    public var conditions: ExposureConditions?
    /// Id of the counterexample demonstrating the flow (nil when never).
    public var counterexample: Int?
}

/// A small system demonstrating flows; the real audit confirmed each claim.
public struct ExposureCounterexample: Sendable, Equatable {
    public struct Claim: Sendable, Equatable {
        public var flow: ExposureFlow
        public var source: String
        public var target: String?
    }
    public var id: Int
    /// The system file (TOML), with the `argus audit` command line in a comment.
    public var systemFile: String
    public var labels: [String]
    public var relation: ExposureRelation?
    public var booleans: [String: Bool]
    public var macPermissive: Bool
    public var claims: [Claim]

    /// `--bool` arguments for `argus audit`, sorted by name.
    public var boolArguments: [String] {
        booleans.sorted { $0.key < $1.key }.map { "--bool \($0.key)=\($0.value)" }
    }
}

/// Everything `argus exposure` found.
public struct ExposureReport: Sendable {
    public var policyPath: String
    public var boot: BootSettings
    public var typeNames: [String]
    public var contextCount: Int
    public var levelMode: ExposureUniverse.LevelMode
    public var levelCount: Int
    public var withoutSelfSID: [String]
    public var booleanMode: ExposureBooleans.Mode
    public var relevantBooleans: [String]
    public var fixedBooleans: [String: Bool]
    public var irrelevantBooleans: [String]
    public var settingCount: Int
    /// Per type: argo and register_any_source.
    public var perDomain: [[ExposureCell]]
    /// Per ordered pair of types (index source * types + target), the four pair flows; pairs
    /// where every flow is never are absent.
    public var pairs: [Int: [ExposureCell]]
    public var counterexamples: [ExposureCounterexample]

    public var typeCount: Int { typeNames.count }

    /// The four pair flows of (source, target), never when absent.
    public func pair(_ s: Int, _ t: Int) -> [ExposureCell] {
        pairs[s * typeCount + t] ?? Array(repeating: ExposureCell(answer: .never), count: 4)
    }

    /// Whether any answer is an approximation (the report says which).
    public var isExact: Bool { (levelMode == .off || levelMode == .exact) && booleanMode == .exact }
}
