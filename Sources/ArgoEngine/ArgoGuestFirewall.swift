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
        try memory.store32(argumentAddress + UInt64(VIPTables.countOffset), offset)
        _ = try call(ArgoABI.opVIPTablesList, argumentAddress, 0, 0, 0)
        return VIPTables.decodeList(try memory.readBytes(argumentAddress, count: VIPTables.listStructSize))
    }

    private func storeRule(_ rule: VIPTablesRule) throws(XenErrno) {
        try memory.store64(argumentAddress, rule.source.word)
        try memory.store64(argumentAddress + 8, rule.destination.word)
        try memory.store32(argumentAddress + 16, rule.accept)
    }
}
