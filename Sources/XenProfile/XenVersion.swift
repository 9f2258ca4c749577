/// A Xen version that has Argo: a release (4.12.0 onward, point releases included),
/// upstream `head`, or the historical `v2-series` (the patch series that first described
/// Argo, before its merge for 4.12). Ordered: `v2-series`, then the releases, then `head`.
public enum XenVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The 2018 "v2" patch series, as far as its published source was read
    /// (docs/XEN-PROFILES.md, "v2-series"). Never inferred; only named.
    case v2Series
    case release(major: Int, minor: Int, patch: Int)
    /// Upstream's newest commit (what Argus modelled before profiles existed).
    case head

    /// Every release with Argo, oldest first (from the RELEASE-x.y.z tags of xen-project/xen).
    public static let releases: [XenVersion] = {
        let lastPatch: [(minor: Int, last: Int)] = [
            (12, 4), (13, 5), (14, 6), (15, 7), (16, 7), (17, 7), (18, 6), (19, 6), (20, 4), (21, 2), (22, 0),
        ]
        return lastPatch.flatMap { branch in (0...branch.last).map { XenVersion.release(major: 4, minor: branch.minor, patch: $0) } }
    }()

    /// Every version inference may choose: the releases, then `head` (not the historical
    /// series, which a user must name).
    public static let all: [XenVersion] = releases + [.head]

    /// Versions that are not releases and only exist as a named profile.
    public static let historical: [XenVersion] = [.v2Series]

    /// The first release with Argo.
    public static let first = XenVersion.release(major: 4, minor: 12, patch: 0)
    /// The newest release Argus knows.
    public static var newestRelease: XenVersion { releases.last! }

    /// `4.16.0`, `4.16` (the branch's first release), or `head`; nil for anything else.
    public init?(parsing text: String) {
        if text == "head" { self = .head; return }
        if text == "v2-series" { self = .v2Series; return }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
              let major = Int(parts[0]), let minor = Int(parts[1]),
              let patch = parts.count == 3 ? Int(parts[2]) : 0,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        self = .release(major: major, minor: minor, patch: patch)
    }

    /// True for a release Argus knows and for `head`.
    public var isKnown: Bool { self == .head || self == .v2Series || Self.releases.contains(self) }

    /// True for the historical `v2-series`.
    public var isHistorical: Bool { self == .v2Series }

    /// The release string the per-release FLASK definitions are looked up by. The v2
    /// series read changes no FLASK file, so it numbers as 4.12.0, its merge target.
    public var definitionsRelease: String { self == .v2Series ? "4.12.0" : description }

    public var description: String {
        switch self {
        case .head: "head"
        case .v2Series: "v2-series"
        case .release(let a, let b, let c): "\(a).\(b).\(c)"
        }
    }

    /// The `major.minor` branch, nil for head and the v2 series.
    public var branch: (major: Int, minor: Int)? {
        if case .release(let a, let b, _) = self { return (a, b) }
        return nil
    }

    public static func < (lhs: XenVersion, rhs: XenVersion) -> Bool {
        switch (lhs, rhs) {
        case (.v2Series, .v2Series): false
        case (.v2Series, _): true
        case (_, .v2Series): false
        case (.head, _): false
        case (.release, .head): true
        case (.release(let a1, let b1, let c1), .release(let a2, let b2, let c2)): (a1, b1, c1) < (a2, b2, c2)
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let v = XenVersion(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a Xen version: \(text)"))
        }
        self = v
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A change that happened inside the 4.x series at one release on each branch that got it
/// (a fix made on the development branch and backported to stable branches): present in
/// `version` when it is at least the first release of its own branch that has it.
public struct XenChange: Sendable {
    /// The upstream commit on the development branch.
    public var commit: String
    /// The first release of each branch that has the change, oldest branch first; the
    /// last entry's branch and every later branch (and head) have it from their `.0`.
    public var firstReleases: [XenVersion]

    public init(commit: String, firstReleases: [XenVersion]) {
        self.commit = commit
        self.firstReleases = firstReleases
    }

    /// Whether `version` has the change.
    public func isIn(_ version: XenVersion) -> Bool {
        // The v2 series predates every release: no change made on a release branch is in it.
        if version == .v2Series { return false }
        guard let branch = version.branch else { return true }
        if let same = firstReleases.first(where: { $0.branch.map { $0 == branch } ?? false }) { return version >= same }
        guard let newest = firstReleases.last else { return true }
        return version > newest
    }
}
