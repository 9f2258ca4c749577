extension Policy {
    /// The same policy with its initial SIDs named by another hypervisor's numbering
    /// (`names[n - 1]` names SID n): what a Xen built with those definitions sees.
    public func namingInitialSIDs(_ names: [String]) -> Policy {
        Policy(image: image, origin: origin, binary: binary,
               initialSIDNames: Dictionary(uniqueKeysWithValues: names.enumerated().map { (UInt32($0.offset + 1), $0.element) }),
               ruleOrigins: ruleOrigins)
    }

    /// The highest initial SID number the policy gives a context (0: none).
    public var highestInitialSID: UInt32 { image.initialSIDs.map(\.number).max() ?? 0 }
}
