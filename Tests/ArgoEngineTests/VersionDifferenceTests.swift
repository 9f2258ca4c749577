import Testing
import XenProfile
@testable import ArgoEngine

/// Every engine difference between Xen versions, builds and flavours, each run under two
/// profiles that must answer differently (docs/ARGO-QUIRKS.md, "Differences between Xen versions").
@Suite struct VersionDifferenceTests {
    static func world(_ version: String, arch: XenArch = .x86, flavour: XenFlavour = .upstream,
                      macPermissive: Bool = true) -> ArgoHypervisor {
        let profile = XenProfile(version: XenVersion(parsing: version)!, flavour: flavour, arch: arch)
        return makeWorld(ArgoBootSettings(macPermissive: macPermissive, behaviour: ArgoEngineBehaviour(profile)))
    }

    /// Fills a 64-byte wildcard ring of d1 with one 16-byte message from dom0.
    static func fullRing(_ hv: ArgoHypervisor) throws {
        try hv.guest(1).registerRing(aport: 1, partner: any, length: 64)
        _ = try hv.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [Array(repeating: 1, count: 16)], messageType: 0)
        _ = hv.drainSignals()
    }

    /// 480800c769 (4.13.0; 478a0ecb1a in 4.12.1): before it, sendv on a full ring returned 0
    /// after queueing the sender, and signalled the destination.
    @Test func sendvOnAFullRing() throws {
        let old = Self.world("4.12.0"), fixed = Self.world("4.12.1")
        for hv in [old, fixed] { try Self.fullRing(hv) }
        let oldResult = try old.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [[1, 2, 3]], messageType: 0)
        #expect(oldResult == 0, "4.12.0: 'success' with length 0")
        #expect(old.drainSignals() == [1], "4.12.0 signals the destination although nothing was written")
        #expect(old.snapshot(of: 1)?.rings.first?.txPtr == 32, "nothing was written")
        #expect(errno { _ = try fixed.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [[1, 2, 3]], messageType: 0) } == .EAGAIN)
        #expect(fixed.drainSignals().isEmpty)
        // Both queued the sender.
        #expect(old.snapshot(of: 1)?.rings.first?.waits.count == 1)
        #expect(fixed.snapshot(of: 1)?.rings.first?.waits.count == 1)
    }

    /// 8966a3e9ab (4.13.0; 46262b87eb in 4.12.1): before it, the queued wait recorded 0
    /// bytes, so the ring owner's next notify woke the sender whatever the free space.
    @Test func pendingWaitLength() throws {
        let old = Self.world("4.12.0"), fixed = Self.world("4.13.0")
        for hv in [old, fixed] {
            // 176 of 256 bytes used: 48 bytes of payload space left, a 100-byte message waits.
            try hv.guest(1).registerRing(aport: 1, partner: any, length: 256)
            _ = try hv.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [Array(repeating: 1, count: 160)], messageType: 0)
            _ = try? hv.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [Array(repeating: 2, count: 100)], messageType: 0)
            _ = hv.drainSignals()
        }
        #expect(old.snapshot(of: 1)?.rings.first?.waits.map(\.length) == [0])
        #expect(fixed.snapshot(of: 1)?.rings.first?.waits.map(\.length) == [100])
        // The owner calls notify without reading anything: 48 bytes are free, not 100.
        _ = try old.guest(1).notify(nil)
        _ = try fixed.guest(1).notify(nil)
        #expect(old.drainSignals() == [0], "4.12.0 wakes the sender spuriously")
        #expect(fixed.drainSignals().isEmpty)
    }

    /// A point release decides: 4.12.0 has neither fix, 4.12.1 both, and every later branch
    /// from its .0.
    @Test func pointReleasesDecide() {
        func behaviour(_ v: String) -> ArgoEngineBehaviour { ArgoEngineBehaviour(XenProfile(version: XenVersion(parsing: v)!)) }
        #expect(!behaviour("4.12.0").sendvFullRingFailsWithEAGAIN && !behaviour("4.12.0").pendingWaitRecordsLength)
        for v in ["4.12.1", "4.12.4", "4.13.0", "4.16.7", "4.22.0", "head"] {
            #expect(behaviour(v).sendvFullRingFailsWithEAGAIN && behaviour(v).pendingWaitRecordsLength, "\(v)")
        }
    }

    /// dedbb0e212 (4.22.0): soft reset is x86-only; before it, Arm tore Argo down and then
    /// crashed the domain (ENOSYS from the arch hook).
    @Test func softResetPerArchAndVersion() throws {
        func run(_ version: String, _ arch: XenArch) throws -> (ret: Int64, rings: Int) {
            let hv = Self.world(version, arch: arch)
            try hv.guest(1).registerRing(aport: 1, partner: 0, length: 256)
            let ret = hv.softResetDomain(1)
            return (ret, hv.snapshot(of: 1)?.rings.count ?? -1)
        }
        let x86 = try run("4.22.0", .x86)
        #expect(x86.ret == 0 && x86.rings == 0)
        let oldArm = try run("4.21.0", .arm)
        #expect(oldArm.ret == XenErrno.ENOSYS.hypercallReturn && oldArm.rings == 0)
        let newArm = try run("4.22.0", .arm)
        #expect(newArm.ret == XenErrno.EOPNOTSUPP.hypercallReturn && newArm.rings == 1, "refused before touching anything")
    }

    /// OpenXT's argo-quiet-xsm-check-during-init.patch: no AVC for argo_init's check.
    @Test func openXTCreatesQuietly() throws {
        func denialsAtCreation(_ flavour: XenFlavour) throws -> (records: Int, hasArgo: Bool) {
            let decider = TableDecider()   // denies everything
            let profile = XenProfile(version: .release(major: 4, minor: 21, patch: 0), flavour: flavour)
            let hv = ArgoHypervisor(settings: ArgoBootSettings(xsm: .flask(decider: decider, mode: .enforcing),
                                                               behaviour: ArgoEngineBehaviour(profile)))
            let made = try hv.createDomain(ArgoDomainSpec(domid: 1, sid: 10), creator: 0)
            return (hv.drainAuditLog().count, made)
        }
        #expect(try denialsAtCreation(.upstream) == (1, false))
        #expect(try denialsAtCreation(.openxt) == (0, false), "still denied, only not logged")
    }

    /// flask=late: a domain created before the policy load got Argo state; one created after
    /// is checked.
    @Test func lateLoadGivesStateToEarlyDomains() throws {
        let hv = ArgoHypervisor(settings: ArgoBootSettings(xsm: .flask(decider: TableDecider(), mode: .late)))
        #expect(try hv.createDomain(ArgoDomainSpec(domid: 0, sid: 2, isControl: true, createdBeforePolicy: true)))
        #expect(try !hv.createDomain(ArgoDomainSpec(domid: 1, sid: 10), creator: 0))
        let enforcing = ArgoHypervisor(settings: ArgoBootSettings(xsm: .flask(decider: TableDecider(), mode: .enforcing)))
        #expect(try !enforcing.createDomain(ArgoDomainSpec(domid: 0, sid: 2, isControl: true, createdBeforePolicy: true)))
    }
}
