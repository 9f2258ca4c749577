import Flask
// Small building blocks for PolicyGenerator: a seeded PRNG and a reader for the
// three hypervisor definition files (security_classes, initial_sids, access_vectors).

/// SplitMix64: a tiny, fast, fully deterministic generator. The same seed always
/// yields the same sequence on every platform, which keeps generated policies stable.
public struct SplitMix64: Sendable, RandomNumberGenerator {
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

/// The hypervisor's classes, initial SIDs and permissions as the generator needs them,
/// read with Argus's own definitions parser.
public struct GeneratorDefinitions: Sendable, Equatable {
    public var classes: [String]
    public var initialSIDs: [String]
    /// Permissions per class, common permissions included, in bit order.
    public var permissions: [String: [String]]

    public init(securityClasses: String, initialSIDs: String, accessVectors: String) {
        let parsed: Flask.FlaskDefinitions
        do {
            parsed = try Flask.FlaskDefinitions.parse(
                securityClasses: securityClasses, accessVectors: accessVectors, initialSIDs: initialSIDs)
        } catch {
            preconditionFailure("the generator was given invalid definitions: \(error)")
        }
        classes = parsed.classes.map(\.name)
        self.initialSIDs = parsed.initialSIDs.map(\.name)
        permissions = Dictionary(uniqueKeysWithValues: parsed.classes.map { ($0.name, $0.permissions.map(\.name)) })
    }

    /// Permissions of `cls`, or an empty list when the class is unknown.
    public func perms(_ cls: String) -> [String] { permissions[cls] ?? [] }
}


