import Flask

/// One difference between two sets of FLASK definitions (`security_classes`,
/// `access_vectors`, `initial_sids`), as a hypervisor/policy pair sees it.
public struct DefinitionChange: Sendable, Equatable, Codable {
    public enum Subject: String, Sendable, Codable { case securityClass = "class", permission, initialSID = "initial_sid" }
    public enum Kind: String, Sendable, Codable { case removed, renumbered, renamed, added }

    public var subject: Subject
    public var kind: Kind
    /// The class name, the permission as `class:permission`, or the initial SID name (old name for renames).
    public var name: String
    /// For renames: the new name.
    public var newName: String?
    /// Class value, permission bit index or SID value on each side (nil where absent).
    public var oldValue: Int?
    public var newValue: Int?
    /// Where the item is declared on each side.
    public var oldLocation: SourceLocation?
    public var newLocation: SourceLocation?

    /// Removed, renumbered and renamed items break a hypervisor/policy pair; additions at a
    /// fresh number do not (an old policy simply does not use them).
    public var isBreaking: Bool { kind != .added }

    /// "permission argo:send renamed to argo:sendv (bit 3)".
    public var summary: String {
        let what = "\(subject == .initialSID ? "initial SID" : subject.rawValue) \(name)"
        let unit = subject == .permission ? "bit " : ""
        switch kind {
        case .removed: return "\(what) removed (was \(unit)\(oldValue ?? 0))"
        case .added: return "\(what) added (\(unit)\(newValue ?? 0))"
        case .renumbered: return "\(what) renumbered: \(unit)\(oldValue ?? 0) -> \(unit)\(newValue ?? 0)"
        case .renamed: return "\(what) renamed to \(newName ?? "?") (\(unit)\(oldValue ?? 0))"
        }
    }
}

/// The differences between two sets of FLASK definitions, classes first, then permissions
/// class by class (in the old numbering), then initial SIDs.
public struct DefinitionsDiff: Sendable, Equatable {
    public var changes: [DefinitionChange]

    public var breakingChanges: [DefinitionChange] { changes.filter(\.isBreaking) }

    public init(old: FlaskDefinitions, new: FlaskDefinitions) {
        var out: [DefinitionChange] = []
        // Classes.
        out += Self.compare(
            subject: .securityClass,
            old: old.classes.map { Item(name: $0.name, value: Int($0.value), location: $0.location) },
            new: new.classes.map { Item(name: $0.name, value: Int($0.value), location: $0.location) })
        // Permissions of classes present on both sides.
        for oldClass in old.classes {
            guard let newClass = new.class(named: oldClass.name) else { continue }
            func items(_ c: SecurityClassDefinition) -> [Item] {
                c.permissions.map { Item(name: "\(c.name):\($0.name)", value: $0.bitIndex, location: $0.location) }
            }
            out += Self.compare(subject: .permission, old: items(oldClass), new: items(newClass))
        }
        // Initial SIDs.
        out += Self.compare(
            subject: .initialSID,
            old: old.initialSIDs.map { Item(name: $0.name, value: Int($0.value), location: $0.location) },
            new: new.initialSIDs.map { Item(name: $0.name, value: Int($0.value), location: $0.location) })
        changes = out
    }

    struct Item {
        var name: String
        var value: Int
        var location: SourceLocation
    }

    /// Items matched by name: gone, moved or new. A removed item whose number is taken on the
    /// new side by an item the old side lacks is reported once, as a rename.
    static func compare(subject: DefinitionChange.Subject, old: [Item], new: [Item]) -> [DefinitionChange] {
        let newByName = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let oldNames = Set(old.map(\.name))
        let addedByValue = Dictionary(new.filter { !oldNames.contains($0.name) }.map { ($0.value, $0) },
                                      uniquingKeysWith: { a, _ in a })
        var renamedTo: Set<String> = []
        var out: [DefinitionChange] = []
        for o in old {
            if let n = newByName[o.name] {
                if n.value != o.value {
                    out.append(DefinitionChange(subject: subject, kind: .renumbered, name: o.name, oldValue: o.value,
                                                newValue: n.value, oldLocation: o.location, newLocation: n.location))
                }
            } else if let n = addedByValue[o.value] {
                renamedTo.insert(n.name)
                out.append(DefinitionChange(subject: subject, kind: .renamed, name: o.name, newName: n.name, oldValue: o.value,
                                            newValue: n.value, oldLocation: o.location, newLocation: n.location))
            } else {
                out.append(DefinitionChange(subject: subject, kind: .removed, name: o.name, oldValue: o.value,
                                            oldLocation: o.location))
            }
        }
        for n in new where !oldNames.contains(n.name) && !renamedTo.contains(n.name) {
            out.append(DefinitionChange(subject: subject, kind: .added, name: n.name, newValue: n.value, newLocation: n.location))
        }
        return out
    }
}
