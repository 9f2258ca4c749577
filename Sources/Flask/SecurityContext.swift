public import Sepol

public typealias SecurityContext = PolicyImage.Context
public typealias MLSLevel = PolicyImage.Level
public typealias MLSRange = PolicyImage.Range

/// Why a context string is not a valid context of a policy.
public struct ContextError: Error, Sendable, Equatable, CustomStringConvertible {
    public var context: String
    public var reason: String
    public var description: String { "invalid context '\(context)': \(reason)" }
}

extension Policy {
    /// Parses and validates `user:role:type[:range]` the way the security server would accept it:
    /// every name known, the type not an attribute, the role authorised for the user and the
    /// type for the role (unless the role is `object_r`), and the MLS range valid for the user.
    public func context(_ text: String) throws(ContextError) -> SecurityContext {
        func fail(_ reason: String) -> ContextError { ContextError(context: text, reason: reason) }
        let parts = Self.contextFields(text)
        guard parts.count >= 3 else { throw fail("expected user:role:type") }
        guard let user = userValue(parts[0]) else { throw fail("unknown user '\(parts[0])'") }
        guard let role = roleValue(parts[1]) else { throw fail("unknown role '\(parts[1])'") }
        guard let type = typeValue(parts[2]) else { throw fail("unknown type '\(parts[2])'") }
        if self.type(type).isAttribute { throw fail("'\(parts[2])' is an attribute, not a type") }
        if role != 1 {
            guard image.roles[Int(role) - 1].types.contains(type) else {
                throw fail("type '\(parts[2])' is not authorised for role '\(parts[1])'")
            }
            guard image.users[Int(user) - 1].roles.contains(role) else {
                throw fail("role '\(parts[1])' is not authorised for user '\(parts[0])'")
            }
        }
        var range: MLSRange?
        if image.mls {
            guard parts.count == 4 else { throw fail("this policy has MLS: a range is required") }
            range = try parseRange(parts[3], context: text)
            if let userRange = image.users[Int(user) - 1].range, !userRange.contains(range!) {
                throw fail("range '\(parts[3])' is outside user '\(parts[0])''s range")
            }
        } else if parts.count == 4 {
            throw fail("this policy has no MLS: no range may be given")
        }
        return SecurityContext(user: user, role: role, type: type, range: range)
    }

    /// `text` split at its first three colons (empty fields kept). ASCII text is split on its
    /// bytes (no grapheme breaking: a label is parsed thousands of times in a large audit);
    /// other text as `Character`s, where a colon followed by a combining mark is no separator.
    static func contextFields(_ text: String) -> [String] {
        let fast = text.utf8.withContiguousStorageIfAvailable { bytes -> [String]? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var parts: [String] = []
            parts.reserveCapacity(4)
            var from = 0
            for i in 0..<bytes.count where parts.count < 3 && bytes[i] == UInt8(ascii: ":") {
                parts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<i]), as: UTF8.self))
                from = i + 1
            }
            parts.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[from...]), as: UTF8.self))
            return parts
        }
        if let fields = fast ?? nil { return fields }
        return text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
    }

    private func parseRange(_ text: String, context: String) throws(ContextError) -> MLSRange {
        func fail(_ reason: String) -> ContextError { ContextError(context: context, reason: reason) }
        // A range is LOW[-HIGH]; categories may contain '.', never '-', so split on the first '-'.
        let halves = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let low = try parseLevel(halves[0], context: context)
        let high = halves.count == 2 ? try parseLevel(halves[1], context: context) : low
        guard high.dominates(low) else { throw fail("high level does not dominate low level") }
        return MLSRange(low: low, high: high)
    }

    private func parseLevel(_ text: String, context: String) throws(ContextError) -> MLSLevel {
        func fail(_ reason: String) -> ContextError { ContextError(context: context, reason: reason) }
        let pieces = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let sens = sensitivityValue(pieces[0]) else { throw fail("unknown sensitivity '\(pieces[0])'") }
        var cats: Set<UInt32> = []
        if pieces.count == 2 {
            for item in pieces[1].split(separator: ",", omittingEmptySubsequences: false) {
                let ends = item.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard ends.count <= 2, let first = categoryValue(ends[0]) else { throw fail("unknown category '\(item)'") }
                let last: UInt32
                if ends.count == 2 {
                    guard let l = categoryValue(ends[1]), l > first else { throw fail("bad category range '\(item)'") }
                    last = l
                } else {
                    last = first
                }
                for c in first...last { cats.insert(c) }
            }
        }
        let allowed = Set(image.sensitivities[Int(sens) - 1].categories)
        if let bad = cats.first(where: { !allowed.contains($0) }) {
            throw fail("category '\(categoryName(bad))' is not allowed at sensitivity '\(pieces[0])'")
        }
        return MLSLevel(sensitivity: sens, categories: cats.sorted())
    }

    /// The context as the security server prints it (`user:role:type[:range]`).
    public func string(_ c: SecurityContext) -> String {
        var text = "\(userName(c.user)):\(roleName(c.role)):\(typeName(c.type))"
        if let r = c.range {
            text += ":" + string(r.low)
            if r.high != r.low { text += "-" + string(r.high) }
        }
        return text
    }

    /// A level as the security server prints it: runs of three or more categories as `cA.cB`.
    public func string(_ level: MLSLevel) -> String {
        var text = sensitivityName(level.sensitivity)
        let cats = level.categories
        guard !cats.isEmpty else { return text }
        text += ":"
        var i = 0
        var first = true
        while i < cats.count {
            var j = i
            while j + 1 < cats.count && cats[j + 1] == cats[j] + 1 { j += 1 }
            if !first { text += "," }
            first = false
            text += categoryName(cats[i])
            if j - i >= 2 {
                text += "." + categoryName(cats[j])
                i = j + 1
            } else if j - i == 1 {
                text += "," + categoryName(cats[j])
                i = j + 1
            } else {
                i += 1
            }
        }
        return text
    }
}

extension MLSLevel {
    /// Dominance: a higher-or-equal sensitivity and a superset of the categories.
    public func dominates(_ other: MLSLevel) -> Bool {
        guard sensitivity >= other.sensitivity else { return false }
        var mine = categories.makeIterator()
        var current = mine.next()
        for c in other.categories {
            while let m = current, m < c { current = mine.next() }
            guard current == c else { return false }
        }
        return true
    }
}

extension MLSRange {
    /// True when `other` lies within this range.
    public func contains(_ other: MLSRange) -> Bool {
        other.low.dominates(low) && high.dominates(other.high)
    }
}
