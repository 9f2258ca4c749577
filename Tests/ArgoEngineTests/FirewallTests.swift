import Testing
@testable import ArgoEngine

/// OpenXT's port firewall (argo-add-viptables.patch): the three ops, their edge behaviour,
/// and the check in sendv (docs/ARGO-QUIRKS.md, "OpenXT's firewall").
@Suite struct FirewallTests {
    static func world(firewall: Bool = true) -> ArgoHypervisor {
        makeWorld(ArgoBootSettings(macPermissive: true, behaviour: ArgoEngineBehaviour(argoFirewall: firewall)))
    }

    static func rule(_ sd: UInt16, _ sp: UInt32, _ dd: UInt16, _ dp: UInt32, accept: UInt32) -> VIPTablesRule {
        VIPTablesRule(source: address(sd, sp), destination: address(dd, dp), accept: accept)
    }

    static let star = ArgoABI.domidAny, anyPort = ArgoABI.portAny

    @Test func upstreamHasNoSuchOps() {
        let hv = Self.world(firewall: false)
        for op in [ArgoABI.opVIPTablesAdd, ArgoABI.opVIPTablesDel, ArgoABI.opVIPTablesList] {
            #expect(hv.hypercall(caller: 0, cmd: op, arg1: 0, arg2: 0, arg3: 0, arg4: 0) == XenErrno.EOPNOTSUPP.hypercallReturn)
        }
    }

    @Test func onlyThePrivilegedDomainMayChangeOrListRules() throws {
        let hv = Self.world()
        #expect(errno { try hv.guest(1).viptablesAdd(Self.rule(1, 1, 0, 1, accept: 1), position: 1) } == .EPERM)
        #expect(errno { _ = try hv.guest(1).viptablesList() } == .EPERM)
        #expect(errno { try hv.guest(1).viptablesFlush() } == .EPERM)
        try hv.guest(0).viptablesAdd(Self.rule(1, 1, 0, 1, accept: 1), position: 1)
        #expect(hv.firewall.rules.count == 1)
    }

    /// Position 1 is the head; the position is decremented and walked without a check, so
    /// 0, negative positions and positions past the end all append.
    @Test func addPositionsAreUnsanitised() throws {
        let hv = Self.world(), dom0 = hv.guest(0)
        for (port, position) in [(1, Int32(1)), (2, 1), (3, 3), (4, 0), (5, -7), (6, 99), (7, 2), (8, .min)] {
            try dom0.viptablesAdd(Self.rule(1, UInt32(port), 0, 0, accept: 1), position: position)
        }
        #expect(hv.firewall.rules.map(\.source.aport) == [2, 7, 1, 3, 4, 5, 6, 8])
    }

    @Test func deleteByPositionByRuleAndFlush() throws {
        let hv = Self.world(), dom0 = hv.guest(0)
        for port in 1...5 { try dom0.viptablesAdd(Self.rule(1, UInt32(port), 0, 9, accept: 1), position: 99) }
        try dom0.viptablesDelete(position: 2)
        #expect(hv.firewall.rules.map(\.source.aport) == [1, 3, 4, 5])
        for nothing in [Int32(0), 9, -2, .min] { try dom0.viptablesDelete(position: nothing) }
        #expect(hv.firewall.rules.count == 4, "0, past the end and other negatives delete nothing, and succeed")
        // By rule: addresses only, accept ignored, first match only.
        try dom0.viptablesAdd(Self.rule(1, 4, 0, 9, accept: 0), position: 1)
        try dom0.viptablesDelete(Self.rule(1, 4, 0, 9, accept: 7))
        #expect(hv.firewall.rules.map(\.source.aport) == [1, 3, 4, 5])
        #expect(hv.firewall.rules[2].accept == 1, "the first match (the one added at the head) went")
        try dom0.viptablesDelete(Self.rule(2, 4, 0, 9, accept: 1))
        #expect(hv.firewall.rules.count == 4, "no match: nothing deleted, success")
        try dom0.viptablesFlush()
        #expect(hv.firewall.rules.isEmpty)
        #expect(hv.drainConsole().contains("VIPTables: flushing rules"))
    }

    /// Up to 8 rules from the caller's offset; past the end is -EFAULT; the returned count is
    /// what this call copied.
    @Test func listIsPagedByTheCaller() throws {
        let hv = Self.world(), dom0 = hv.guest(0)
        for port in 1...11 { try dom0.viptablesAdd(Self.rule(1, UInt32(port), 0, 9, accept: 1), position: 0) }
        #expect(try dom0.viptablesList().map(\.source.aport) == Array(1...8))
        #expect(try dom0.viptablesList(offset: 8).map(\.source.aport) == [9, 10, 11])
        #expect(try dom0.viptablesList(offset: 11).isEmpty)
        #expect(errno { _ = try dom0.viptablesList(offset: 12) } == .EFAULT)
    }

    @Test func unreadableArgumentsAreEFAULT() throws {
        let hv = Self.world()
        let unmapped: UInt64 = 0x7000_0000_0000
        #expect(hv.hypercall(caller: 0, cmd: ArgoABI.opVIPTablesAdd, arg1: unmapped, arg2: 0, arg3: 0, arg4: 1) == XenErrno.EFAULT.hypercallReturn)
        #expect(hv.hypercall(caller: 0, cmd: ArgoABI.opVIPTablesList, arg1: unmapped, arg2: 0, arg3: 0, arg4: 0) == XenErrno.EFAULT.hypercallReturn)
        #expect(hv.hypercall(caller: 0, cmd: ArgoABI.opVIPTablesDel, arg1: unmapped, arg2: 0, arg3: 0, arg4: 0xFFFF_FFFF) == XenErrno.EFAULT.hypercallReturn)
        // By position the rule handle is never read.
        #expect(hv.hypercall(caller: 0, cmd: ArgoABI.opVIPTablesDel, arg1: unmapped, arg2: 0, arg3: 0, arg4: 1) == 0)
        #expect(hv.firewall.rules.isEmpty)
    }

    /// In sendv, after the XSM check: the first matching rule decides, no match accepts, a
    /// reject is -EPERM (returned before the final line, so negative for any guest) with a
    /// console line; the source address is checked after DOMID_ANY became the sender.
    @Test func sendvIsFilteredFirstMatchWins() throws {
        let hv = Self.world(), dom0 = hv.guest(0)
        try hv.guest(2).registerRing(aport: 5555, partner: 1, length: 4096)
        try hv.guest(2).registerRing(aport: 80, partner: any, length: 4096)
        try dom0.viptablesAdd(Self.rule(Self.star, Self.anyPort, 2, Self.anyPort, accept: 0), position: 0)
        try dom0.viptablesAdd(Self.rule(1, Self.anyPort, 2, 5555, accept: 1), position: 1)
        // d1 -> d2:5555 is accepted by the first rule; d1 -> d2:80 rejected by the second.
        #expect(try hv.guest(1).sendv(source: address(any, 7), destination: address(2, 5555), iovs: [[1, 2]], messageType: 0) == 2)
        #expect(errno { _ = try hv.guest(1).sendv(source: address(any, 7), destination: address(2, 80), iovs: [[1]], messageType: 0) } == .EPERM)
        #expect(hv.drainConsole().last == "d1v0 argo: VIPTables REJECTED 1:7 -> 2:80")
        #expect(hv.statistics.firewallRejections == 1)
        // No rule for dom0 -> d2? The wildcard reject covers it; nothing covers d2 -> dom0.
        #expect(errno { _ = try dom0.sendv(source: address(0, 1), destination: address(2, 80), iovs: [[1]], messageType: 0) } == .EPERM)
        try dom0.registerRing(aport: 9, partner: any, length: 4096)
        #expect(try hv.guest(2).sendv(source: address(2, 1), destination: address(0, 9), iovs: [[1]], messageType: 0) == 1)
    }

    /// Any non-zero accept accepts, though the console prints REJECT for anything but 1.
    @Test func acceptIsAnyNonZeroValue() throws {
        let hv = Self.world(), dom0 = hv.guest(0)
        try hv.guest(2).registerRing(aport: 1, partner: any, length: 4096)
        try dom0.viptablesAdd(Self.rule(1, Self.anyPort, 2, 1, accept: 2), position: 1)
        #expect(hv.drainConsole() == ["VIPTables: REJECT 1:* -> 2:1"])
        #expect(try hv.guest(1).sendv(source: address(1, 3), destination: address(2, 1), iovs: [[1]], messageType: 0) == 1)
    }

    /// The check sits after the XSM send check and before the Argo-state checks; notify is
    /// not filtered.
    @Test func orderAgainstOtherChecksAndNotify() throws {
        let hv = Self.world(), dom0 = hv.guest(0)
        try hv.guest(2).registerRing(aport: 1, partner: any, length: 4096)
        try dom0.viptablesAdd(Self.rule(Self.star, Self.anyPort, Self.star, Self.anyPort, accept: 0), position: 1)
        // Unknown destination is -ESRCH before the firewall.
        #expect(errno { _ = try hv.guest(1).sendv(source: address(1, 1), destination: address(44, 1), iovs: [[1]], messageType: 0) } == .ESRCH)
        // No ring at all: the firewall answers first (-EPERM, not -ECONNREFUSED).
        #expect(errno { _ = try hv.guest(1).sendv(source: address(1, 1), destination: address(2, 999), iovs: [[1]], messageType: 0) } == .EPERM)
        // notify still describes the firewalled ring.
        let entries = try hv.guest(1).notify([RingDataEntry(ring: address(2, 1), spaceRequired: 16)])
        #expect(entries.first.map { $0.flags & ArgoABI.ringExists != 0 } == true)
    }
}
