/// OpenXT's port firewall for Argo ("viptables", `argo-add-viptables.patch` in
/// OpenXT/xenclient-oe): one global, ordered list of rules that sendv consults after the
/// XSM send check. Only in a Xen of the `openxt` flavour (`ArgoEngineBehaviour.argoFirewall`).
///
/// The patch's own edge behaviour is reproduced on purpose (docs/ARGO-QUIRKS.md, "OpenXT's
/// firewall"): positions are not sanitised, any non-zero `accept` accepts, deleting by rule
/// compares addresses only, and listing past the end is `-EFAULT`.
public struct VIPTablesRule: Sendable, Hashable, CustomStringConvertible {
    public var source: ArgoAddress
    public var destination: ArgoAddress
    /// Non-zero accepts (the console prints ACCEPT only for 1).
    public var accept: UInt32

    public init(source: ArgoAddress, destination: ArgoAddress, accept: UInt32) {
        self.source = source
        self.destination = destination
        self.accept = accept
    }

    /// `xen_argo_viptables_rule_t`: src (8 bytes), dst (8 bytes), accept (4 bytes).
    public static let size = 20

    /// The rule as the patch prints it: `ACCEPT 1:* -> 0:5555` (`*` for the wildcards).
    public var description: String {
        func endpoint(_ a: ArgoAddress) -> String {
            (a.domainID == ArgoABI.domidAny ? "*" : "\(Int16(bitPattern: a.domainID))") + ":"
                + (a.aport == ArgoABI.portAny ? "*" : "\(a.aport)")
        }
        return (accept == 1 ? "ACCEPT" : "REJECT") + " \(endpoint(source)) -> \(endpoint(destination))"
    }

    /// Whether `other` names the same four address fields (what deleting by rule compares).
    public func hasSameAddresses(as other: VIPTablesRule) -> Bool {
        source.domainID == other.source.domainID && source.aport == other.source.aport
            && destination.domainID == other.destination.domainID && destination.aport == other.destination.aport
    }

    /// Whether the rule applies to a message from `source` to `destination`.
    public func matches(_ source: ArgoAddress, _ destination: ArgoAddress) -> Bool {
        (self.source.domainID == ArgoABI.domidAny || self.source.domainID == source.domainID)
            && (self.source.aport == ArgoABI.portAny || self.source.aport == source.aport)
            && (self.destination.domainID == ArgoABI.domidAny || self.destination.domainID == destination.domainID)
            && (self.destination.aport == ArgoABI.portAny || self.destination.aport == destination.aport)
    }
}

/// The global rule list and its three operations, as the patch implements them.
public struct VIPTables: Sendable, Equatable {
    public private(set) var rules: [VIPTablesRule] = []

    public init(rules: [VIPTablesRule] = []) { self.rules = rules }

    /// At most this many rules per `viptables_list` call.
    public static let listSize = 8
    /// `xen_argo_viptables_list_t`: 8 rules, then `nrules`.
    public static let listStructSize = listSize * VIPTablesRule.size + 4
    static let countOffset = listSize * VIPTablesRule.size

    /// The list structure holding `rules` (at most 8; the rest zero) and their count.
    static func encodeList(_ rules: [VIPTablesRule]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: listStructSize)
        func put(_ value: UInt64, _ bytes: Int, at offset: Int) {
            for k in 0..<bytes { out[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
        }
        for (n, rule) in rules.prefix(listSize).enumerated() {
            let base = n * VIPTablesRule.size
            put(rule.source.word, 8, at: base)
            put(rule.destination.word, 8, at: base + 8)
            put(UInt64(rule.accept), 4, at: base + 16)
        }
        put(UInt64(min(rules.count, listSize)), 4, at: countOffset)
        return out
    }

    /// The rules a list structure holds (its count first, at most 8).
    static func decodeList(_ bytes: [UInt8]) -> [VIPTablesRule] {
        func word(_ i: Int, _ n: Int) -> UInt64 { (0..<n).reduce(0) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) } }
        return (0..<min(Int(word(countOffset, 4)), listSize)).map { n in
            let base = n * VIPTablesRule.size
            return VIPTablesRule(source: ArgoAddress(word: word(base, 8)), destination: ArgoAddress(word: word(base + 8, 8)),
                                 accept: UInt32(word(base + 16, 4)))
        }
    }

    /// `viptables_add`: position 1 is the head; the position is decremented once, then the
    /// list is walked while it is non-zero, so 0, a negative position or one past the end
    /// appends.
    mutating func add(_ rule: VIPTablesRule, position: Int32) {
        rules.insert(rule, at: Self.insertionIndex(position: position, count: rules.count))
    }

    /// Where `viptables_add` puts a rule given `position` in a list of `count` rules (the
    /// toolstack's replay in ArgusFirewall walks the same way).
    public static func insertionIndex(position: Int32, count: Int) -> Int {
        var remaining = position &- 1
        var index = 0
        while remaining != 0 && index < count {
            index += 1
            remaining &-= 1
        }
        return index
    }

    /// `viptables_del` by position (anything but -1): the rule at that 1-based position;
    /// 0, other negative positions and positions past the end delete nothing.
    mutating func delete(position: Int32) -> VIPTablesRule? {
        guard let index = Self.deletionIndex(position: position, count: rules.count) else { return nil }
        return rules.remove(at: index)
    }

    /// The 0-based index `viptables_del` removes for `position`, or nil when it removes nothing.
    public static func deletionIndex(position: Int32, count: Int) -> Int? {
        var remaining = position
        var index = 0
        while remaining != 0 && index < count {
            index += 1
            remaining &-= 1
        }
        guard remaining == 0, index != 0 else { return nil }
        return index - 1
    }

    /// `viptables_del` by rule: the first rule with the same four address fields (`accept`
    /// and the pads are not compared).
    mutating func delete(matching rule: VIPTablesRule) -> VIPTablesRule? {
        guard let i = rules.firstIndex(where: { $0.hasSameAddresses(as: rule) }) else { return nil }
        return rules.remove(at: i)
    }

    mutating func flush() { rules.removeAll() }

    /// `viptables_check`: the first rule that matches decides; no match accepts.
    public func rejects(_ source: ArgoAddress, _ destination: ArgoAddress) -> Bool {
        for rule in rules where rule.matches(source, destination) { return rule.accept == 0 }
        return false
    }
}

extension ArgoHypervisor {
    /// `XEN_ARGO_OP_viptables_add` (6), `_del` (7), `_list` (8): the privileged domain only;
    /// the dispatcher's checks (32-bit arg3/arg4, Argo on, XSM enable) came first.
    func viptablesOp(_ caller: Domain, cmd: UInt32, arg1: UInt64, arg4: UInt64) throws(XenErrno) -> Int {
        guard caller.isControl else { throw .EPERM }
        let position = Int32(bitPattern: UInt32(truncatingIfNeeded: arg4))
        switch cmd {
        case ArgoABI.opVIPTablesAdd:
            let rule = try readVIPTablesRule(caller, arg1)
            console("VIPTables: \(rule)")
            firewall.add(rule, position: position)
        case ArgoABI.opVIPTablesDel:
            if position != -1 {
                if let gone = firewall.delete(position: position) { console("VIPTables: deleting rule: \(gone)") }
            } else if arg1 != 0 {
                if let gone = firewall.delete(matching: try readVIPTablesRule(caller, arg1)) {
                    console("VIPTables: deleting rule: \(gone)")
                }
            } else {
                console("VIPTables: flushing rules")
                firewall.flush()
            }
        default:
            try listVIPTables(caller, arg1)
        }
        return 0
    }

    /// The rule at `address`, field by field as `copy_field_from_guest` reads it.
    func readVIPTablesRule(_ caller: Domain, _ address: UInt64) throws(XenErrno) -> VIPTablesRule {
        let source = ArgoAddress(word: try caller.memory.load64(address))
        let destination = ArgoAddress(word: try caller.memory.load64(address &+ 8))
        return VIPTablesRule(source: source, destination: destination, accept: try caller.memory.load32(address &+ 16))
    }

    /// `viptables_list`: skips the caller's `nrules` rules (past the end: -EFAULT), then
    /// writes up to 8 rules and how many it wrote over the whole structure.
    func listVIPTables(_ caller: Domain, _ address: UInt64) throws(XenErrno) {
        var skip = try caller.memory.load32(address &+ UInt64(VIPTables.countOffset))
        var index = 0
        while skip != 0 && index < firewall.rules.count {
            index += 1
            skip -= 1
        }
        guard skip == 0 else { throw .EFAULT }
        let rules = Array(firewall.rules[index...].prefix(VIPTables.listSize))
        try caller.memory.writeBytes(address, VIPTables.encodeList(rules))
    }

    /// The check sendv makes after the XSM send check: a rejected message is `-EPERM` and
    /// one console line (`gprintk`, so prefixed with the current vcpu).
    @inline(__always)
    func checkFirewall(_ sender: Domain, _ source: ArgoAddress, _ destination: ArgoAddress) throws(XenErrno) {
        guard argoFirewall else { return }
        try checkFirewallRules(sender, source, destination)
    }

    private func checkFirewallRules(_ sender: Domain, _ source: ArgoAddress, _ destination: ArgoAddress) throws(XenErrno) {
        guard firewall.rejects(source, destination) else { return }
        statistics.firewallRejections += 1
        console("d\(sender.domid)v0 argo: VIPTables REJECTED \(Int16(bitPattern: source.domainID)):\(source.aport)"
                + " -> \(Int16(bitPattern: destination.domainID)):\(destination.aport)")
        throw .EPERM
    }
}
