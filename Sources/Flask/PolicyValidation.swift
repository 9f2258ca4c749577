/// Would a hypervisor built with these FLASK definitions accept this policy?
///
/// Reproduces the checks Xen makes when a policy is loaded: the policy version range and
/// target, every initial SID having a context, and that each class and permission the
/// hypervisor defines sits at the same number in the policy (Xen's `validate_classes`). On
/// top, it reports initial SIDs the two sides number differently, which Xen does not check
/// but which label domains wrongly.
public struct PolicyValidation: Sendable {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// True when Xen refuses the policy at load; false for a mismatch it accepts.
        public var refusesLoad: Bool
        public var message: String
        public var description: String { (refusesLoad ? "refused: " : "warning: ") + message }
    }

    /// Xen reads policy versions 15 to 30 (POLICYDB_VERSION_XEN_DEVICETREE).
    public static let xenVersions = 15...30

    public let problems: [Problem]
    public var accepted: Bool { !problems.contains(where: \.refusesLoad) }

    public init(policy: Policy, definitions: FlaskDefinitions) {
        var problems: [Problem] = []
        func refuse(_ m: String) { problems.append(Problem(refusesLoad: true, message: m)) }
        let image = policy.image

        if !Self.xenVersions.contains(image.version) {
            refuse("policy version \(image.version) is outside the \(Self.xenVersions.lowerBound)-\(Self.xenVersions.upperBound) range Xen reads")
        }
        if image.platform != .xen { refuse("the policy targets SELinux, not Xen") }

        // Every class the hypervisor defines must be at its number, with its name.
        for def in definitions.classes.sorted(by: { $0.value < $1.value }) {
            guard Int(def.value) <= image.classes.count else {
                refuse("class \(def.name) not defined in policy")
                continue
            }
            let found = image.classes[Int(def.value) - 1].name
            if found != def.name {
                refuse("class \(def.value) is incorrect, found \(found) but should be \(def.name)")
            }
        }
        // Every permission, at its bit, in the class's own permission table (not a common's).
        for def in definitions.classes.sorted(by: { $0.value < $1.value }) where Int(def.value) <= image.classes.count {
            let cls = image.classes[Int(def.value) - 1]
            let inherited = Set(cls.common.flatMap { name in image.commons.first { $0.name == name }?.permissions } ?? [])
            let own = cls.permissions.enumerated().compactMap { i, n in n.flatMap { inherited.contains($0) ? nil : ($0, i) } }
            // Xen compares against the class's permission count as the binary stores it.
            let highest: UInt32 = cls.permissionCount == 0 ? 0 : 1 << UInt32(cls.permissionCount - 1)
            for perm in def.permissions {
                if perm.mask > highest {
                    refuse("permission \(perm.name) in class \(cls.name) not defined in policy")
                } else if let bit = own.first(where: { $0.0 == perm.name })?.1 {
                    if 1 << UInt32(bit) != perm.mask {
                        refuse("permission \(perm.name) in class \(cls.name) has incorrect value")
                    }
                } else {
                    refuse("permission \(perm.name) in class \(cls.name) not found in policy")
                }
            }
        }

        // Initial SIDs: each must carry a context; numbering should match the hypervisor's.
        for sid in image.initialSIDs where sid.context.user == 0 {
            refuse("SID \(definitions.initialSID(value: sid.number)?.name ?? String(sid.number)) was never defined")
        }
        let policyNumbers = Set(image.initialSIDs.map(\.number))
        for def in definitions.initialSIDs where !policyNumbers.contains(def.value) {
            problems.append(Problem(refusesLoad: false, message: "initial SID \(def.name) (\(def.value)) has no context in the policy"))
        }
        let known = Set(definitions.initialSIDs.map(\.value))
        for sid in image.initialSIDs where !known.contains(sid.number) {
            problems.append(Problem(refusesLoad: false, message: "the policy labels initial SID \(sid.number), which this hypervisor does not define"))
        }
        self.problems = problems
    }
}
