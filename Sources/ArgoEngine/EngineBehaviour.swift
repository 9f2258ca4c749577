import XenProfile

/// Where the Argo engine behaves differently between Xen versions, builds and flavours:
/// every difference in this one place, each with the version range and the upstream
/// commit (docs/ARGO-QUIRKS.md, "Differences between Xen versions", lists the same).
public struct ArgoEngineBehaviour: Sendable, Hashable {
    /// sendv on a ring without space fails with EAGAIN after queueing the sender.
    /// Before 480800c769 ("argo: warn sendv() caller when ring is full"; in 4.13.0,
    /// backported as 478a0ecb1a for 4.12.1) the result of queueing the wait overwrote
    /// EAGAIN: sendv returned 0 (the length it never set) and signalled the destination.
    public var sendvFullRingFailsWithEAGAIN: Bool
    /// The wait queued by a sendv that found no space records the message's length.
    /// Before 8966a3e9ab ("argo: correctly report pending message length"; in 4.13.0,
    /// backported as 46262b87eb for 4.12.1) `ringbuf_insert` returned before setting the
    /// length on failure, so the wait recorded 0 bytes and the next notify by the ring's
    /// owner woke the sender whatever the free space.
    public var pendingWaitRecordsLength: Bool
    /// What XEN_DOMCTL_soft_reset does (x86 tears down; Arm see `SoftResetBehaviour`).
    public var softReset: SoftResetBehaviour
    /// OpenXT's argo-quiet-xsm-check-during-init.patch: `argo_init`'s `enable` check
    /// logs no AVC record.
    public var quietEnableCheckAtCreation: Bool

    public init(sendvFullRingFailsWithEAGAIN: Bool = true, pendingWaitRecordsLength: Bool = true,
                softReset: SoftResetBehaviour = .tearsDownArgo, quietEnableCheckAtCreation: Bool = false) {
        self.sendvFullRingFailsWithEAGAIN = sendvFullRingFailsWithEAGAIN
        self.pendingWaitRecordsLength = pendingWaitRecordsLength
        self.softReset = softReset
        self.quietEnableCheckAtCreation = quietEnableCheckAtCreation
    }

    /// Upstream head on x86.
    public static let head = ArgoEngineBehaviour()

    static let sendvReportsEAGAIN = XenChange(
        commit: "480800c769", firstReleases: [.release(major: 4, minor: 12, patch: 1), .release(major: 4, minor: 13, patch: 0)])
    static let pendingLengthRecorded = XenChange(
        commit: "8966a3e9ab", firstReleases: [.release(major: 4, minor: 12, patch: 1), .release(major: 4, minor: 13, patch: 0)])

    /// The engine of `profile`'s Xen.
    public init(_ profile: XenProfile) {
        self.init(
            sendvFullRingFailsWithEAGAIN: Self.sendvReportsEAGAIN.isIn(profile.version),
            pendingWaitRecordsLength: Self.pendingLengthRecorded.isIn(profile.version),
            softReset: profile.softReset,
            quietEnableCheckAtCreation: profile.quietEnableCheckAtCreation)
    }
}
