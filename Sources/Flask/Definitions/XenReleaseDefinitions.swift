extension FlaskDefinitions {
    /// Xen's own definitions as shipped in `release` ("4.12.0", "4.16.3", "4.21.0", "head").
    /// nil for a release Argus does not know.
    ///
    /// "head" is `xenDefault` (upstream master). A release is `xenDefault` with every
    /// change of `xenDefinitionHistory` it does not contain undone, newest first: numbers
    /// shift exactly as they did upstream. Names that exist at head keep their locations in
    /// `policy/flask`; names that head no longer has are located at their history entry.
    public static func xen(release: String) -> FlaskDefinitions? {
        if release == XenReleaseNumber.head { return xenDefault }
        guard let number = XenReleaseNumber(release), XenReleaseNumber.known.contains(number) else { return nil }
        var definitions = xenDefault
        for change in xenDefinitionHistory.reversed() where !change.isContained(in: number) {
            definitions.undo(change)
        }
        return definitions
    }

    /// Every release string `xen(release:)` accepts, oldest first, "head" last.
    public static var xenReleases: [String] {
        XenReleaseNumber.known.map(\.description) + [XenReleaseNumber.head]
    }

    /// `xen(release:)` of every release `xenReleases` lists, built once per group of releases
    /// that contain the same changes of `xenDefinitionHistory` (and so have the same
    /// definitions); groups in the order of their oldest release, releases oldest first. For
    /// callers that look at every release (which Xen a policy is for), about a dozen
    /// definitions to build and compare instead of one per release.
    public static let xenReleaseGroups: [(releases: [String], definitions: FlaskDefinitions)] = {
        let history = xenDefinitionHistory.map { change in
            (mainline: XenReleaseNumber(change.since), backports: change.backports.compactMap(XenReleaseNumber.init))
        }
        var groups: [(releases: [String], definitions: FlaskDefinitions)] = []
        var changesOfGroup: [[Bool]] = []
        for release in xenReleases {
            let changes = XenReleaseNumber(release).map { number in
                history.map { XenDefinitionChange.isContained(number, mainline: $0.mainline, backports: $0.backports) }
            } ?? history.map { _ in true }
            if let group = changesOfGroup.firstIndex(of: changes) {
                groups[group].releases.append(release)
            } else if let definitions = xen(release: release) {
                changesOfGroup.append(changes)
                groups.append((releases: [release], definitions: definitions))
            }
        }
        return groups
    }()
}

/// One change to Xen's FLASK definitions: what changed, the first releases that have it,
/// the upstream commits, and why the numbers move.
public struct XenDefinitionChange: Sendable, Hashable {
    /// An edit, described as it was made going forward in time.
    public enum Edit: Sendable, Hashable {
        /// Initial SID `name` inserted just before `before`; every later SID moves up by 1.
        case insertInitialSID(String, before: String)
        /// Permissions inserted, in this order, just after `after` in class `class`.
        case addPermissions(class: String, [String], after: String)
        /// Permissions that stood, in this order, just after `after` in class `class`, removed.
        case removePermissions(class: String, [String], after: String)
        /// A permission renamed in place (its bit is unchanged).
        case renamePermission(class: String, from: String, to: String)
    }

    public var edit: Edit
    /// The first mainline release that has the change ("4.17.0").
    public var since: String
    /// The first point release of each older branch the change was backported to.
    public var backports: [String]
    /// Upstream commits (short ids): the mainline one(s) first, then the backports.
    public var commits: [String]
    public var reason: String
    /// This entry in Argus's source; the location of names that head no longer has.
    public var location: SourceLocation

    init(_ edit: Edit, since: String, backports: [String] = [], commits: [String], reason: String, line: Int = #line) {
        precondition(XenReleaseNumber(since) != nil && backports.allSatisfy { XenReleaseNumber($0) != nil },
                     "malformed release in the definitions history")
        self.edit = edit
        self.since = since
        self.backports = backports
        self.commits = commits
        self.reason = reason
        self.location = SourceLocation(file: "Sources/Flask/Definitions/XenDefinitionHistory.swift", line: line)
    }

    /// Whether `release` (a string `FlaskDefinitions.xenReleases` lists) has this change;
    /// nil for an unknown release.
    public func isContained(in release: String) -> Bool? {
        if release == XenReleaseNumber.head { return true }
        guard let number = XenReleaseNumber(release), XenReleaseNumber.known.contains(number) else { return nil }
        return isContained(in: number)
    }

    func isContained(in release: XenReleaseNumber) -> Bool {
        Self.isContained(release, mainline: XenReleaseNumber(since), backports: backports.compactMap(XenReleaseNumber.init))
    }

    /// Whether `release` has a change first released in `mainline` and backported to `backports`.
    static func isContained(_ release: XenReleaseNumber, mainline: XenReleaseNumber?, backports: [XenReleaseNumber]) -> Bool {
        guard let mainline else { return false }
        if release >= mainline { return true }
        return backports.contains { $0.branch == release.branch && release.patch >= $0.patch }
    }
}

/// A Xen release number, "MAJOR.MINOR.PATCH", ordered numerically.
struct XenReleaseNumber: Comparable, Hashable, CustomStringConvertible {
    var major: Int
    var minor: Int
    var patch: Int

    static let head = "head"

    /// The newest point release of every branch with Argo, as tagged `RELEASE-x.y.z`
    /// upstream (4.12.0 introduced Argo). Extend when upstream tags a release.
    static let newestPointReleases: [(major: Int, minor: Int, newestPatch: Int)] = [
        (4, 12, 4), (4, 13, 5), (4, 14, 6), (4, 15, 7), (4, 16, 7), (4, 17, 7),
        (4, 18, 6), (4, 19, 6), (4, 20, 4), (4, 21, 2), (4, 22, 0),
    ]

    /// Every known release, oldest first.
    static let known: [XenReleaseNumber] = newestPointReleases.flatMap { branch in
        (0...branch.newestPatch).map { XenReleaseNumber(major: branch.major, minor: branch.minor, patch: $0) }
    }

    init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Exactly three dot-separated decimal numbers without signs or leading zeros.
    /// Read byte by byte (every caller asks about a few dozen releases, some at startup).
    init?(_ text: String) {
        var numbers: [Int] = []
        var value = 0, digits = 0, leadingZero = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, numbers.count < 2 else { return nil }
                numbers.append(value)
                (value, digits, leadingZero) = (0, 0, false)
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                guard digits < 4, !leadingZero else { return nil }
                leadingZero = digits == 0 && byte == UInt8(ascii: "0")
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            } else {
                return nil
            }
        }
        guard digits > 0, numbers.count == 2 else { return nil }
        self.init(major: numbers[0], minor: numbers[1], patch: value)
    }

    var branch: [Int] { [major, minor] }
    var description: String { "\(major).\(minor).\(patch)" }

    static func < (lhs: XenReleaseNumber, rhs: XenReleaseNumber) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}

extension FlaskDefinitions {
    /// Goes back one change. The history is our own data: a name it refers to that is not
    /// where the history says is a bug in that data, so it traps.
    mutating func undo(_ change: XenDefinitionChange) {
        switch change.edit {
        case let .insertInitialSID(name, before):
            guard let index = initialSIDs.firstIndex(where: { $0.name == name }),
                  index + 1 < initialSIDs.count, initialSIDs[index + 1].name == before else {
                preconditionFailure("history: initial SID \(name) is not just before \(before)")
            }
            initialSIDs.remove(at: index)
            for position in initialSIDs.indices { initialSIDs[position].value = UInt32(position + 1) }

        case let .addPermissions(className, names, after):
            editPermissions(of: className) { permissions in
                let start = Self.position(after: after, in: permissions, className: className)
                let added = permissions[start..<min(start + names.count, permissions.count)].map(\.name)
                precondition(added == names, "history: \(className) \(names) do not follow \(after)")
                permissions.removeSubrange(start..<start + names.count)
            }

        case let .removePermissions(className, names, after):
            editPermissions(of: className) { permissions in
                precondition(!permissions.contains { names.contains($0.name) }, "history: \(className) still has \(names)")
                let start = Self.position(after: after, in: permissions, className: className)
                let restored = names.map { PermissionDefinition(name: $0, mask: 0, location: change.location) }
                permissions.insert(contentsOf: restored, at: start)
            }

        case let .renamePermission(className, from, to):
            editPermissions(of: className) { permissions in
                guard let index = permissions.firstIndex(where: { $0.name == to }),
                      !permissions.contains(where: { $0.name == from }) else {
                    preconditionFailure("history: \(className) has no \(to) to rename back to \(from)")
                }
                permissions[index].name = from
                permissions[index].location = change.location
            }
        }
    }

    private static func position(after name: String, in permissions: [PermissionDefinition], className: String) -> Int {
        guard let index = permissions.firstIndex(where: { $0.name == name }) else {
            preconditionFailure("history: class \(className) has no permission \(name)")
        }
        return index + 1
    }

    /// Applies `edit` to the permissions of `className`, then gives them the bits 1<<0,
    /// 1<<1, … in order again.
    private mutating func editPermissions(of className: String, _ edit: (inout [PermissionDefinition]) -> Void) {
        guard let classIndex = classes.firstIndex(where: { $0.name == className }) else {
            preconditionFailure("history: no class \(className)")
        }
        edit(&classes[classIndex].permissions)
        precondition(classes[classIndex].permissions.count <= 32, "history: class \(className) over 32 permissions")
        for position in classes[classIndex].permissions.indices {
            classes[classIndex].permissions[position].mask = UInt32(1) << UInt32(position)
        }
    }
}
