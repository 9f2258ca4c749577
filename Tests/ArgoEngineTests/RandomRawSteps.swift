import Testing
@testable import ArgoEngine

/// The raw steps of the random run: the guest writing and unmapping its own memory, and raw
/// hypercalls whose arguments are laid out to run into holes. Frames 0x60..0x63 are the
/// raw-ring area (only raw registers map them); frame 0x58 onward is never populated except
/// by a poke straddling the end of the scratch area, so 0x57FFx addresses straddle a hole
/// until then.
extension RandomHypercallRun {
    static let rawRingFrames: [UInt64] = [0x60, 0x61, 0x62, 0x63]
    static let unmapped: UInt64 = 0x700_0000

    /// The actor's driver rings (sorted, for a reproducible pick).
    func driverRings(_ actor: UInt16) -> [GuestRingRecord] {
        hv.guest(actor).rings.values.sorted { ($0.id.aport, $0.id.partner) < ($1.id.aport, $1.id.partner) }
    }

    mutating func poke(_ actor: UInt16) {
        let memory = hv.memory(of: actor)!
        let count = Int.random(in: 1 ... 32, using: &rng)
        var address: UInt64
        switch Int.random(in: 0 ..< 5, using: &rng) {
        case 0: address = 0x50000 + .random(in: 0 ..< 0x8000, using: &rng)
        case 1: address = 0x58000 - .random(in: 1 ... 16, using: &rng)
        case 2: address = 0x60000 + .random(in: 0 ..< 0x4000, using: &rng)
        case 3: address = 0x1000 + .random(in: 0 ..< 0x1000, using: &rng)
        case 4 where chance(90): address = 0x50000 + .random(in: 0 ..< 0x100, using: &rng)
        default:
            // Into one of its own rings (header included): what it reads back is its own doing.
            guard let record = driverRings(actor).first(where: { _ in chance(50) }) ?? driverRings(actor).first else { return }
            address = pick(record.frames) << 12 + .random(in: 0 ..< 0x1000, using: &rng)
            tainted.insert(record.id)
        }
        for frame in (address >> 12) ... ((address + UInt64(count) - 1) >> 12) where !memory.isPopulated(frame) { memory.populate(frame) }
        let bytes = (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        #expect(errno { try memory.writeBytes(address, bytes) } == nil, "a poke over populated frames")
        pokes += 1
    }

    mutating func unmap(_ actor: UInt16) {
        let memory = hv.memory(of: actor)!
        let frames: [UInt64] = [0x1, 0x2, 0x3, 0xC0000] + (0x50 ..< 0x58) + Self.rawRingFrames
        let rings = driverRings(actor)
        let frame: UInt64
        if chance(5), let record = rings.first(where: { _ in chance(30) }) {
            // One of its ring's frames: the guest no longer sees what Xen writes there.
            frame = pick(record.frames)
            tainted.insert(record.id)
        } else {
            frame = pick(frames)
        }
        memory.depopulate(frame)
        for ring in hv.registeredRings where ring.id.owner == actor && ring.frames.contains(frame) {
            framesReplaced.insert(ring.id)
        }
        unmaps += 1
    }

    /// Every live domain's driver frames and scratch area come back (fresh if they had gone),
    /// so that a lost argument page does not stall a domain for long.
    func repair() {
        let frames: [UInt64] = Array(0x1 ... 0x9) + Array(0x50 ..< 0x58) + Array(0xC0000 ... 0xC0001)
        for domid in domids {
            guard let memory = hv.memory(of: domid) else { continue }
            for frame in frames where !memory.isPopulated(frame) { memory.populate(frame) }
        }
    }

    /// A pointer worth trying: into the scratch area, across its end, into the raw-ring area,
    /// the argument page, nowhere, or anything.
    mutating func rawPointer() -> UInt64 {
        switch Int.random(in: 0 ..< 6, using: &rng) {
        case 0: 0x50000
        case 1: 0x58000 - .random(in: 1 ... 24, using: &rng)
        case 2: 0x60000 + .random(in: 0 ..< 0x100, using: &rng) * 16
        case 3: 0x1000
        case 4: Self.unmapped
        default: garbage64()
        }
    }

    mutating func rawCall(_ actor: UInt16) {
        let memory = hv.memory(of: actor)!
        let cmd: UInt64 = pick([1, 1, 2, 3, 3, 4, 4, 0, 5, 6, 7, 8, 9, 0xFFFF_FFFF, 0x1_0000_0003, .random(in: 0 ... .max, using: &rng)])
        var args = [rawPointer(), rawPointer(), pick([0, 1, 2, 3, 9, 4097, garbage64()]), pick([0, 0, 1, 0xFFFF_FFFF, garbage64()])]
        switch UInt32(truncatingIfNeeded: cmd) {
        case ArgoABI.opRegisterRing:
            // A plausible register struct and a frame list naming raw-ring, odd or foreign frames.
            let length: UInt32 = pick([48, 64, 4032, 4096])
            // Ports 3 to 5: raw rings stay apart from the driver's (ports 0 to 2), whose contents are predicted.
            try? memory.store32(0x50000, .random(in: 3 ..< 6, using: &rng))
            try? memory.store16(0x50004, chance(20) ? ArgoABI.domidAny : pick(domids))
            try? memory.store16(0x50006, 0)
            try? memory.store32(0x50008, length)
            for index in 0 ..< UInt64(2) {
                try? memory.store64(0x50100 + index * 8, pick(Self.rawRingFrames + [0x20, 0x21, 0x22, 0x777]))
                try? memory.store64(0x57FF8 + index * 8, pick(Self.rawRingFrames))
            }
            args = [pick([0x50000, rawPointer()]), pick([0x50100, 0x57FF8, rawPointer()]),
                    chance(80) ? UInt64(ArgoABI.pagesForRing(length: length)) : args[2], chance(90) ? 0 : args[3]]
        case ArgoABI.opSendv:
            try? memory.store64(0x50000, ArgoAddress(aport: 7, domainID: pick([ArgoABI.domidAny, actor])).word)
            try? memory.store64(0x50008, ArgoAddress(aport: .random(in: 3 ..< 6, using: &rng), domainID: domainRef()).word)
            for index in 0 ..< UInt64(3) {
                try? memory.store64(0x50040 + index * 16, pick([0x50200, 0x57FF0, Self.unmapped]))
                try? memory.store32(0x50048 + index * 16, .random(in: 0 ... 40, using: &rng))
                try? memory.store32(0x5004C + index * 16, 0)
            }
            args = [pick([0x50000, rawPointer()]), pick([0x50040, 0x57FE0, rawPointer()]), pick([0, 1, 2, 3, 9]), chance(90) ? 0 : args[3]]
        case ArgoABI.opNotify:
            let nent = pick([UInt32(1), 2, 3, 257])
            try? memory.store32(0x57FE0, nent)
            try? memory.store32(0x50000, nent)
            args = [pick([0x57FE0, 0x50000, rawPointer()]), 0, 0, chance(90) ? 0 : args[3]]
        default:
            break
        }
        let rings = Dictionary(uniqueKeysWithValues: hv.registeredRings.map { ($0.id, $0) })
        let result = hv.hypercall(caller: actor, cmd: UInt32(truncatingIfNeeded: cmd), arg1: args[0], arg2: args[1],
                                  arg3: args[2], arg4: args[3])
        rawCalls += 1
        // Guest-chosen values give a length, 0 or a named errno (sendv's late errors as 2^32 - errno on a 64-bit guest).
        let asInt = Int64(Int32(truncatingIfNeeded: result))
        let isSendv = UInt32(truncatingIfNeeded: cmd) == ArgoABI.opSendv
        #expect(result == asInt || (isSendv && result > Int64(Int32.max) && result <= Int64(UInt32.max)), "\(cmd): \(result)")
        #expect(asInt >= 0 || XenErrno(rawValue: Int32(-asInt)) != nil, "unnamed errno \(asInt) from cmd \(cmd)")
        #expect(asInt <= 0 || (isSendv && asInt <= Int64(ArgoABI.maxMessageSize)), "\(cmd): \(result)")
        count(asInt)
        // A message (tx_ptr moved) or a ring (re-)registered over other frames that nobody
        // predicted: expectations about those rings' contents end.
        for ring in hv.registeredRings where rings[ring.id].map({ $0.txPtr != ring.txPtr || $0.frames != ring.frames }) ?? true {
            tainted.insert(ring.id)
        }
    }
}
