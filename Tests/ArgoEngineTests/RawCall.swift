@testable import ArgoEngine

/// Guest-memory helpers for raw hypercalls: scratch space at gfn 0x50.. in each domain.
struct RawGuest {
    let hv: ArgoHypervisor
    let domid: UInt16
    var memory: GuestMemory { hv.memory(of: domid)! }
    static let scratch: UInt64 = 0x50 << 12

    init(_ hv: ArgoHypervisor, _ domid: UInt16) {
        self.hv = hv
        self.domid = domid
        for frame in UInt64(0x50) ..< 0x58 { hv.memory(of: domid)!.populate(frame) }
    }

    func call(_ cmd: UInt32, _ a1: UInt64 = 0, _ a2: UInt64 = 0, _ a3: UInt64 = 0, _ a4: UInt64 = 0) -> Int64 {
        hv.hypercall(caller: domid, cmd: cmd, arg1: a1, arg2: a2, arg3: a3, arg4: a4)
    }

    /// Writes a register struct at scratch and frames at scratch+0x100; returns (regAddr, framesAddr).
    func layoutRegister(aport: UInt32, partner: UInt16, length: UInt32, pad: UInt16 = 0, frames: [UInt64]) -> (UInt64, UInt64) {
        try! memory.store32(Self.scratch, aport)
        try! memory.store16(Self.scratch + 4, partner)
        try! memory.store16(Self.scratch + 6, pad)
        try! memory.store32(Self.scratch + 8, length)
        for (index, frame) in frames.enumerated() { try! memory.store64(Self.scratch + 0x100 + UInt64(index * 8), frame) }
        return (Self.scratch, Self.scratch + 0x100)
    }

    func layoutUnregister(aport: UInt32, partner: UInt16, pad: UInt16 = 0) -> UInt64 {
        try! memory.store32(Self.scratch, aport)
        try! memory.store16(Self.scratch + 4, partner)
        try! memory.store16(Self.scratch + 6, pad)
        return Self.scratch
    }

    /// send_addr at scratch, iovs at scratch+0x40, data at scratch+0x1000.
    func layoutSend(src: ArgoAddress, dst: ArgoAddress, iovs: [(data: [UInt8], pad: UInt32)]) -> (UInt64, UInt64) {
        func put(_ at: UInt64, _ a: ArgoAddress) {
            try! memory.store32(at, a.aport)
            try! memory.store16(at + 4, a.domainID)
            try! memory.store16(at + 6, a.pad)
        }
        put(Self.scratch, src)
        put(Self.scratch + 8, dst)
        var cursor = Self.scratch + 0x1000
        for (index, iov) in iovs.enumerated() {
            let entry = Self.scratch + 0x40 + UInt64(index * 16)
            try! memory.store64(entry, cursor)
            try! memory.store32(entry + 8, UInt32(iov.data.count))
            try! memory.store32(entry + 12, iov.pad)
            try! memory.writeBytes(cursor, iov.data)
            cursor += UInt64(iov.data.count)
        }
        return (Self.scratch, Self.scratch + 0x40)
    }
}

func ret(_ errno: XenErrno) -> Int64 { errno.hypercallReturn }

/// What a 64-bit guest's register holds for an error that reached sendv's last line
/// (`ret < 0 ? ret : len` has type unsigned int): 2^32 - errno, e.g. 4294967185 for ECONNREFUSED.
func lateSendvRet(_ errno: XenErrno) -> Int64 { Int64(UInt32(bitPattern: -errno.rawValue)) }

/// A decider whose answers can change, to model a policy reload.
final class SwitchableDecider: FlaskArgoDecider, @unchecked Sendable {
    var table: TableDecider
    init(_ table: TableDecider) { self.table = table }
    var xenSID: UInt32 { table.xenSID }
    func argoDecision(source: UInt32, target: UInt32) -> FlaskDecision { table.argoDecision(source: source, target: target) }
    func selfSID(of sid: UInt32) -> UInt32 { table.selfSID(of: sid) }
    func deviceModelTargetSID(deviceModel: UInt32, target: UInt32) -> UInt32 {
        table.deviceModelTargetSID(deviceModel: deviceModel, target: target)
    }
    func context(of sid: UInt32) -> String? { table.context(of: sid) }
}
