/// One access decision for a (source, target, class) triple, as the security server computes it.
public struct AccessVector: Sendable, Hashable {
    public var allowed: UInt32
    public var auditallow: UInt32
    /// Permissions whose denial is audited (`dontaudit` clears bits here).
    public var auditdeny: UInt32

    public init(allowed: UInt32, auditallow: UInt32, auditdeny: UInt32) {
        self.allowed = allowed
        self.auditallow = auditallow
        self.auditdeny = auditdeny
    }

    /// Nothing allowed, nothing audited on grant, every denial audited.
    public static let initial = AccessVector(allowed: 0, auditallow: 0, auditdeny: 0xffff_ffff)

    public mutating func merge(_ kind: PolicyImage.AccessVectorEntry.Kind, _ data: UInt32) {
        switch kind {
        case .allow: allowed |= data
        case .auditallow: auditallow |= data
        case .auditdeny: auditdeny &= data
        default: break
        }
    }
}
