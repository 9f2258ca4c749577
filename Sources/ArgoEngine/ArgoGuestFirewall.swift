/// The guest side of OpenXT's firewall ops, as OpenXT's `viptables` tool drives them from
/// dom0: the rule (or the list structure) laid out at the argument page, position in arg4.
extension ArgoGuest {
    /// `viptables -I POSITION ...` (position 1 is the head; the patch does not check it).
    public func viptablesAdd(_ rule: VIPTablesRule, position: Int32) throws(XenErrno) {
        try storeRule(rule)
        _ = try call(ArgoABI.opVIPTablesAdd, argumentAddress, 0, 0, UInt64(UInt32(bitPattern: position)))
    }

    /// `viptables -D POSITION`.
    public func viptablesDelete(position: Int32) throws(XenErrno) {
        _ = try call(ArgoABI.opVIPTablesDel, 0, 0, 0, UInt64(UInt32(bitPattern: position)))
    }

    /// `viptables -D RULE`: the first rule with the same addresses.
    public func viptablesDelete(_ rule: VIPTablesRule) throws(XenErrno) {
        try storeRule(rule)
        _ = try call(ArgoABI.opVIPTablesDel, argumentAddress, 0, 0, 0xFFFF_FFFF)
    }

    /// `viptables -F`.
    public func viptablesFlush() throws(XenErrno) {
        _ = try call(ArgoABI.opVIPTablesDel, 0, 0, 0, 0xFFFF_FFFF)
    }

    /// `viptables -L`: up to 8 rules from `offset`; call again with the offset moved on.
    public func viptablesList(offset: UInt32 = 0) throws(XenErrno) -> [VIPTablesRule] {
        try? memory.store32(argumentAddress + UInt64(VIPTables.listSize * VIPTablesRule.size), offset)
        _ = try call(ArgoABI.opVIPTablesList, argumentAddress, 0, 0, 0)
        let bytes = try memory.readBytes(argumentAddress, count: VIPTables.listStructSize)
        func word(_ i: Int, _ n: Int) -> UInt64 { (0..<n).reduce(0) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) } }
        let count = Int(word(VIPTables.listSize * VIPTablesRule.size, 4))
        return (0..<min(count, VIPTables.listSize)).map { n in
            let base = n * VIPTablesRule.size
            func address(_ at: Int) -> ArgoAddress {
                ArgoAddress(aport: UInt32(word(at, 4)), domainID: UInt16(word(at + 4, 2)), pad: UInt16(word(at + 6, 2)))
            }
            return VIPTablesRule(source: address(base), destination: address(base + 8), accept: UInt32(word(base + 16, 4)))
        }
    }

    private func storeRule(_ rule: VIPTablesRule) throws(XenErrno) {
        for (n, a) in [rule.source, rule.destination].enumerated() {
            let at = argumentAddress + UInt64(8 * n)
            try memory.store32(at, a.aport)
            try memory.store16(at + 4, a.domainID)
            try memory.store16(at + 6, a.pad)
        }
        try memory.store32(argumentAddress + 16, rule.accept)
    }
}
