// Small building blocks for PolicyGenerator: a seeded PRNG and a reader for the
// three hypervisor definition files (security_classes, initial_sids, access_vectors).

/// SplitMix64: a tiny, fast, fully deterministic generator. The same seed always
/// yields the same sequence on every platform, which keeps generated policies stable.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`; `bound` must be positive.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "empty range")
        return Int(next() % UInt64(bound))
    }

    /// A number in `range` (inclusive).
    public mutating func within(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) * 0x1p-53 < p
    }

    public mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }

    /// `count` distinct elements of `items`, in their original order.
    public mutating func sample<T>(_ items: [T], _ count: Int) -> [T] {
        let wanted = min(max(count, 0), items.count)
        guard wanted < items.count else { return items }
        // Partial Fisher-Yates over indices, then restore the original order.
        var indices = Array(items.indices)
        for i in 0..<wanted {
            indices.swapAt(i, i + below(indices.count - i))
        }
        return indices[0..<wanted].sorted().map { items[$0] }
    }

    /// A non-empty random subset of `items` with at most `limit` elements.
    public mutating func subset<T>(_ items: [T], limit: Int) -> [T] {
        sample(items, within(1...max(1, min(limit, items.count))))
    }
}

/// The hypervisor's class, initial SID and permission declarations, read from the
/// text of Xen's `xen/xsm/flask/policy` files.
public struct FlaskDefinitions: Sendable, Equatable {
    public var classes: [String]
    public var initialSIDs: [String]
    /// Permissions per class, common permissions included, in declaration order.
    public var permissions: [String: [String]]

    public init(securityClasses: String, initialSIDs: String, accessVectors: String) {
        classes = Self.words(securityClasses).pairs(after: "class")
        self.initialSIDs = Self.words(initialSIDs).pairs(after: "sid")
        permissions = Self.parseAccessVectors(Self.words(accessVectors))
    }

    /// Permissions of `cls`, or an empty list when the class is unknown.
    public func perms(_ cls: String) -> [String] { permissions[cls] ?? [] }

    /// Tokens of a definition file: comments dropped, braces kept as tokens.
    static func words(_ text: String) -> [String] {
        var tokens: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let spaced = code.replacingBraces()
            tokens += spaced.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        }
        return tokens
    }

    /// `common NAME { perms }` and `class NAME [inherits COMMON] [{ perms }]`.
    static func parseAccessVectors(_ tokens: [String]) -> [String: [String]] {
        var commons: [String: [String]] = [:]
        var result: [String: [String]] = [:]
        var i = 0
        func block() -> [String] {
            guard i < tokens.count, tokens[i] == "{" else { return [] }
            var list: [String] = []
            i += 1
            while i < tokens.count, tokens[i] != "}" {
                list.append(tokens[i])
                i += 1
            }
            i += 1
            return list
        }
        while i < tokens.count {
            let keyword = tokens[i]
            guard (keyword == "common" || keyword == "class"), i + 1 < tokens.count else {
                i += 1
                continue
            }
            let name = tokens[i + 1]
            i += 2
            if keyword == "common" {
                commons[name] = block()
                continue
            }
            var perms: [String] = []
            if i + 1 < tokens.count, tokens[i] == "inherits" {
                perms = commons[tokens[i + 1]] ?? []
                i += 2
            }
            perms += block()
            result[name] = perms
        }
        return result
    }
}

extension Substring {
    fileprivate func replacingBraces() -> String {
        var out = ""
        for ch in self {
            if ch == "{" || ch == "}" {
                out += " \(ch) "
            } else {
                out.append(ch)
            }
        }
        return out
    }
}

extension Array where Element == String {
    /// Every word that follows `keyword`.
    fileprivate func pairs(after keyword: String) -> [String] {
        var names: [String] = []
        for (i, word) in enumerated() where word == keyword && i + 1 < count {
            names.append(self[i + 1])
        }
        return names
    }
}
