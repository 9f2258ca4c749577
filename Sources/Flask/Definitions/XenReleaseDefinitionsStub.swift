// TEMPORARY STUB: replaced by the real per-release definitions when branches merge.
// Same API; head definitions for 4.17.0 on, and for 4.12.0-4.16.x the head definitions
// without the `xenboot` initial SID (inserted at 1 in 4.17.0), later SIDs renumbered.
extension FlaskDefinitions {
    /// The FLASK definitions Xen `release` is built with ("4.16.3", "head"); nil when unknown.
    public static func xen(release: String) -> FlaskDefinitions? {
        guard xenReleases.contains(release) else { return nil }
        let parts = release.split(separator: ".").compactMap { Int($0) }
        let beforeXenboot = parts.count == 3 && parts[0] == 4 && parts[1] < 17
        guard beforeXenboot else { return xenDefault }
        var definitions = xenDefault
        definitions.initialSIDs = definitions.initialSIDs.filter { $0.name != "xenboot" }.enumerated().map { i, sid in
            var renumbered = sid
            renumbered.value = UInt32(i + 1)
            return renumbered
        }
        return definitions
    }

    /// The releases `xen(release:)` knows, oldest first, then "head".
    public static var xenReleases: [String] {
        let branches: [(minor: Int, last: Int)] = [
            (12, 4), (13, 5), (14, 6), (15, 7), (16, 7), (17, 7), (18, 6), (19, 6), (20, 4), (21, 2), (22, 0),
        ]
        return branches.flatMap { b in (0...b.last).map { "4.\(b.minor).\($0)" } } + ["head"]
    }
}
