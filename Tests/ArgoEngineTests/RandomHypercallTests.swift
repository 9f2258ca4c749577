#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
@testable import ArgoEngine

/// SplitMix64: a small seeded generator so every run replays exactly.

/// Random hypercalls, garbage arguments and hostile guest writes against
/// invariants checked after every step.
struct RandomHypercallRun {
    let hv: ArgoHypervisor
    var rng: SplitMix64
    let domids: [UInt16] = [0, 1, 2, 3]
    /// Messages accepted and not yet read, per ring the guest can read.
    var expected: [RingID: [ArgoMessage]] = [:]
    /// Rings whose contents a hostile write or a geometry change made unpredictable.
    var tainted: Set<RingID> = []
    var accepted = 0
    var readBack = 0
    var errnos: [XenErrno: Int] = [:]
    /// The step had the guest write rx_ptr (a read, or a hostile write): header word 0 may change.
    var guestWroteRxPtr = false
    /// Rings one of whose frames left the guest: the ring keeps the page it mapped, while the
    /// frame, populated again, is a new page. A re-registration maps that new page (as
    /// find_ring_mfns does), so what the ring shows changes without Xen writing anything; the
    /// free-region check leaves these rings alone while they stay registered.
    var framesReplaced: Set<RingID> = []
    var rawCalls = 0
    var pokes = 0
    var unmaps = 0

    init(seed: UInt64, settings: ArgoBootSettings) {
        hv = ArgoHypervisor(settings: settings)
        rng = SplitMix64(seed: seed)
        for domid in domids { createDomain(domid) }
    }

    func createDomain(_ domid: UInt16) {
        try! hv.createDomain(ArgoDomainSpec(domid: domid, sid: UInt32(domid) + 10, isControl: domid == 0))
        let memory = hv.memory(of: domid)!
        memory.populate(0x20, kind: .readOnly)
        memory.populate(0x21, kind: .logDirty)
        memory.populate(0x22, kind: .mmio)
        for frame in UInt64(0x50) ..< 0x58 { memory.populate(frame) }
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0 ..< items.count, using: &rng)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0 ..< 100, using: &rng) < percent }
    mutating func domainRef() -> UInt16 { chance(92) ? pick(domids) : pick([ArgoABI.domidAny, 9, ArgoABI.domidSelf, 0xFFFF]) }
    mutating func count(_ result: Int64) {
        if result < 0, let errno = XenErrno(rawValue: Int32(-result)) { errnos[errno, default: 0] += 1 }
    }
    mutating func garbage64() -> UInt64 {
        pick([0, 0x1000, 0x50000, 0x50000 + UInt64.random(in: 0 ..< 0x8000, using: &rng), .random(in: 0 ... .max, using: &rng), 0xFFFF_FFFF_FFFF_FFF0])
    }

    mutating func record(_ body: () throws -> Int) {
        do {
            _ = try body()
        } catch let error as XenErrno {
            errnos[error, default: 0] += 1
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// One live ring's memory, Xen's tx_ptr, length and frames, before a step.
    struct RingImage {
        var bytes: [UInt8]
        var tx: UInt32
        var length: UInt32
        var frames: [UInt64]
    }

    /// Snapshot of every live ring, before a step.
    func ringImages() -> [RingID: RingImage] {
        var images: [RingID: RingImage] = [:]
        for ring in hv.registeredRings {
            images[ring.id] = RingImage(bytes: hv.ringMemory(ring.id)!, tx: ring.txPtr, length: ring.length, frames: ring.frames)
        }
        return images
    }

    mutating func step() {
        let kind = Int.random(in: 0 ..< 100, using: &rng)
        // Ring memory is compared around the steps where Xen writes rings (register, sendv, random calls).
        let xenMayWriteRings = kind < 15 || (20 ..< 60).contains(kind) || kind == 64 || (94 ..< 96).contains(kind)
        let before = xenMayWriteRings ? ringImages() : [:]
        guestWroteRxPtr = false
        let actor = pick(domids)
        guard hv.domainExists(actor) else {
            createDomain(actor)
            return
        }
        let guest = hv.guest(actor)
        switch kind {
        case 0 ..< 12:   // register through the driver
            let aport = UInt32.random(in: 0 ..< 3, using: &rng)
            let partner = chance(20) ? ArgoABI.domidAny : domainRef()
            let length: UInt32 = chance(90) ? pick([48, 64, 128, 256, 1024, 4032, 4048]) : .random(in: 0 ... 0x2000, using: &rng)
            let id = RingID(owner: actor, aport: aport, partner: partner)
            let previous = guest.rings[id]
            let flags: UInt64 = chance(80) ? 0 : pick([1, 2, 1 << 33])
            let pad: UInt16 = chance(95) ? 0 : 1
            record { try guest.registerRing(aport: aport, partner: partner, length: length, flags: flags, pad: pad); return 0 }
            if let now = guest.rings[id], previous == nil || previous!.frames != now.frames || previous!.length != now.length {
                // Same frames reused with another geometry: unpredictable. A ring the driver had no
                // record of is on frames just allocated, which nothing wrote: predictable again.
                if previous != nil { tainted.insert(id) } else { tainted.remove(id) }
                expected[id] = []
            }
        case 12 ..< 15:  // register with garbage arguments
            let memory = hv.memory(of: actor)!
            let base = RawGuest.scratch
            for offset in stride(from: UInt64(0), to: 64, by: 8) { try? memory.store64(base + offset, rng.next()) }
            try? memory.store32(base + 8, pick([48, 64, 4032, UInt32.random(in: 0 ... .max, using: &rng)]))
            for index in 0 ..< UInt64(3) { try? memory.store64(base + 0x100 + index * 8, pick([0x10, 0x20, 0x21, 0x22, 0x33])) }
            let result = hv.hypercall(caller: actor, cmd: 1, arg1: pick([base, garbage64()]), arg2: pick([base + 0x100, garbage64()]),
                                      arg3: pick([1, 2, 3, 4097, garbage64()]), arg4: pick([0, 1, garbage64()]))
            #expect(result <= 0)
            count(result)
        case 15 ..< 20:  // unregister
            let aport = UInt32.random(in: 0 ..< 3, using: &rng)
            let partner = chance(20) ? ArgoABI.domidAny : domainRef()
            let pad: UInt16 = chance(95) ? 0 : 4
            record { try guest.unregisterRing(aport: aport, partner: partner, pad: pad); return 0 }
        case 20 ..< 55:  // sendv through the driver
            let dst = domainRef()
            let aport = UInt32.random(in: 0 ..< 3, using: &rng)
            let src = chance(95) ? pick([ArgoABI.domidAny, actor]) : domainRef()
            let count = chance(95) ? Int.random(in: 0 ... 3, using: &rng) : Int.random(in: 0 ... 9, using: &rng)
            var iovs: [[UInt8]] = []
            for _ in 0 ..< count {
                let length = chance(80) ? Int.random(in: 0 ... 40, using: &rng) : Int.random(in: 0 ... 600, using: &rng)
                iovs.append((0 ..< length).map { _ in UInt8.random(in: 0 ... 255, using: &rng) })
            }
            let type = UInt32.random(in: 0 ... .max, using: &rng)
            let pads: [UInt32] = chance(97) ? [] : [0, 1]
            let srcPad: UInt16 = chance(98) ? 0 : 1
            let target = hv.snapshot(of: dst)?.rings
            let ring = target?.first { $0.id == RingID(owner: dst, aport: aport, partner: actor) }
                ?? target?.first { $0.id == RingID(owner: dst, aport: aport, partner: ArgoABI.domidAny) }
            do {
                let sent = try guest.sendv(source: ArgoAddress(aport: 7, domainID: src, pad: srcPad), destination: ArgoAddress(aport: aport, domainID: dst),
                                           iovs: iovs, messageType: type, iovPads: pads)
                let payload = iovs.flatMap { $0 }
                #expect(sent == payload.count)
                let ringID = try #require(ring?.id)
                expected[ringID, default: []].append(ArgoMessage(source: ArgoAddress(aport: 7, domainID: actor), messageType: type, payload: payload))
                accepted += 1
            } catch let error as XenErrno {
                errnos[error, default: 0] += 1
            } catch {
                Issue.record("\(error)")
            }
        case 55 ..< 60:  // sendv with garbage
            let memory = hv.memory(of: actor)!
            for offset in stride(from: UInt64(0), to: 0x100, by: 8) { try? memory.store64(RawGuest.scratch + offset, rng.next() & (chance(50) ? 0xFFFF_FFFF : .max)) }
            let result = hv.hypercall(caller: actor, cmd: 3, arg1: pick([RawGuest.scratch, garbage64()]), arg2: pick([RawGuest.scratch + 0x40, garbage64()]),
                                      arg3: pick([0, 1, 8, 9, garbage64()]), arg4: garbage64())
            // A 64-bit guest gets a length, an early error (negative), or an error from sendv's
            // last line as an unsigned int (2^32 - errno); a driver's int reads the last two alike.
            let asInt = Int64(Int32(truncatingIfNeeded: result))
            let lateError = result > Int64(UInt32.max) - 4096 && result <= Int64(UInt32.max)
                && XenErrno(rawValue: Int32(-asInt)) != nil
            #expect(result < 0 || result <= Int64(ArgoABI.maxMessageSize) || lateError, "\(result)")
            count(asInt)
            if asInt >= 0 { tainted.formUnion(hv.registeredRings.map(\.id)) }   // a garbage message we cannot predict landed somewhere
        case 60 ..< 62:  // the guest writes its own memory (RandomRawSteps.swift)
            poke(actor)
        case 62:         // a frame leaves the guest
            unmap(actor)
        case 63:         // the guests get their driver's frames back
            repair()
        case 64:         // a raw hypercall with arguments laid out to straddle holes
            rawCall(actor)
        case 65 ..< 72:  // notify
            let count = Int.random(in: 0 ... 4, using: &rng)
            let entries = (0 ..< count).map { _ in
                RingDataEntry(ring: ArgoAddress(aport: .random(in: 0 ..< 3, using: &rng), domainID: domainRef()),
                              spaceRequired: chance(80) ? .random(in: 0 ... 300, using: &rng) : .random(in: 0 ... .max, using: &rng))
            }
            let list: [RingDataEntry]? = chance(20) ? nil : entries
            let nent: UInt32? = chance(97) ? nil : pick([257, 1000])
            record { try guest.notify(list, nent: nent).count }
        case 72 ..< 75:  // notify with garbage
            let result = hv.hypercall(caller: actor, cmd: 4, arg1: garbage64(), arg2: pick([0, garbage64()]), arg3: 0, arg4: 0)
            #expect(result <= 0)
            count(result)
        case 75 ..< 90:  // read every message of one of our rings
            guard let record = guest.rings.values.sorted(by: { ($0.id.aport, $0.id.partner) < ($1.id.aport, $1.id.partner) }).first(where: { _ in chance(50) })
                ?? guest.rings.values.min(by: { ($0.id.aport, $0.id.partner) < ($1.id.aport, $1.id.partner) }) else { break }
            guestWroteRxPtr = true
            let messages = guest.receive(aport: record.id.aport, partner: record.id.partner)
            if !tainted.contains(record.id) {
                #expect(messages.map { Message($0) } == (expected[record.id] ?? []).map { Message($0) }, "ring \(record.id)")
                readBack += messages.count
            }
            expected[record.id] = []
        case 90 ..< 94:  // hostile pointer writes
            guard let record = guest.rings.values.min(by: { ($0.id.aport, $0.id.partner) < ($1.id.aport, $1.id.partner) }) else { break }
            if chance(70) { guest.setRxPtr(record, pick([UInt32.random(in: 0 ... .max, using: &rng), .random(in: 0 ... record.length + 32, using: &rng)])) }
            else { guest.setTxPtr(record, .random(in: 0 ... .max, using: &rng)) }
            tainted.insert(record.id)
            guestWroteRxPtr = true
        case 94 ..< 96:  // fully random hypercall
            let result = hv.hypercall(caller: actor, cmd: UInt32.random(in: 0 ... 6, using: &rng), arg1: garbage64(), arg2: garbage64(),
                                      arg3: garbage64(), arg4: garbage64())
            if result >= 0 { tainted.formUnion(hv.registeredRings.map(\.id)) }
            count(result)
        case 96 ..< 98:
            if chance(15) { hv.softResetDomain(actor) }
        default:
            if actor != 0 && chance(15) {
                hv.destroyDomain(actor)
                for id in expected.keys where id.owner == actor { expected[id] = nil }
                tainted = tainted.filter { $0.owner != actor }
            }
        }
        checkInvariants(before: before)
        framesReplaced.formIntersection(hv.registeredRings.map(\.id))
        _ = hv.drainSignals()
    }

    /// Comparable view of a message (offsets differ between model and ring).
    struct Message: Equatable {
        var source: ArgoAddress
        var type: UInt32
        var payload: [UInt8]
        init(_ message: ArgoMessage) {
            source = message.source
            type = message.messageType
            payload = message.payload
        }
    }

    func checkInvariants(before: [RingID: RingImage]) {
        var waitsByWaiter: [UInt16: Int] = [:]
        for domid in domids {
            guard let state = hv.snapshot(of: domid) else { continue }
            // Raw steps may register rings over frames the guest's driver writes its arguments to,
            // or over frames another ring maps: what changes there is not only Xen's doing, so the
            // free-region check below takes only rings whose frames are ring memory and theirs alone.
            var users: [UInt64: Int] = [:]
            for ring in state.rings { for frame in Set(ring.frames) { users[frame, default: 0] += 1 } }
            func ringMemoryOnly(_ frame: UInt64) -> Bool {
                users[frame] == 1 && (RandomHypercallRun.rawRingFrames.contains(frame)
                    || (ArgoGuest.GuestLayout.firstRingFrame ..< ArgoGuest.GuestLayout.firstNotifyFrame).contains(frame))
            }
            #expect(state.ringCount >= UInt32(state.rings.count), "ring count below rings on d\(domid)")
            for ring in state.rings {
                #expect(ring.length >= 48 && ring.length % 16 == 0)
                #expect(ring.txPtr < ring.length && ring.txPtr % 16 == 0, "tx \(ring.txPtr) of \(ring.id)")
                #expect(ring.frames.count == Int(ArgoABI.pagesForRing(length: ring.length)))
                #expect(ring.waits.count <= 32)
                #expect(Set(ring.waits.map(\.waiter)).count == ring.waits.count, "one wait per domain")
                if !ring.id.isWildcard { #expect(ring.waits.allSatisfy { $0.waiter == ring.id.partner }) }
                for wait in ring.waits where ring.id.isWildcard { waitsByWaiter[wait.waiter, default: 0] += 1 }
                guard let old = before[ring.id], old.length == ring.length, old.frames == ring.frames,
                      ring.frames.allSatisfy(ringMemoryOnly), !framesReplaced.contains(ring.id) else { continue }
                let now = hv.ringMemory(ring.id)!
                checkWritesInFreeRegion(ring.id, old: old.bytes, oldTx: old.tx, new: now)
            }
        }
        for domid in domids {
            guard let state = hv.snapshot(of: domid) else { continue }
            #expect(state.wildcardWaits.count == (waitsByWaiter[domid] ?? 0), "wildcard list of d\(domid)")
            #expect(state.wildcardWaits.allSatisfy { $0.waiter == domid && $0.ring.isWildcard })
        }
    }

    /// Xen may change only the tx_ptr word and data bytes in [tx, sanitised rx) (wrapping).
    func checkWritesInFreeRegion(_ id: RingID, old: [UInt8], oldTx: UInt32, new: [UInt8]) {
        guard old.count == new.count, old != new else { return }
        let length = UInt32(old.count - 64)
        var rx = ArgoABI.roundUpToSlot(UInt32(old[0]) | UInt32(old[1]) << 8 | UInt32(old[2]) << 16 | UInt32(old[3]) << 24)
        if rx >= length { rx = 0 }
        for index in 0 ..< old.count where old[index] != new[index] {
            if index >= 4 && index < 8 { continue }             // tx_ptr: Xen's to write (or a hostile guest's)
            if index < 4 && guestWroteRxPtr { continue }        // rx_ptr: the guest's
            guard index >= 64 else {
                Issue.record("Xen wrote header byte \(index) of \(id)")
                return
            }
            let offset = UInt32(index - 64)
            let distance = (offset &+ length &- oldTx) % length
            let free = rx == oldTx ? length : (rx &+ length &- oldTx) % length
            if distance >= free {
                Issue.record("Xen wrote byte \(offset) of \(id) outside the free region [\(oldTx), \(rx))")
                return
            }
        }
    }
}

@Suite struct RandomHypercallTests {
    static var stepCount: Int {
        if let text = Environment.value("ARGUS_RANDOM_STEPS"), let count = Int(text) { return count }
        return 25_000
    }

    @Test(arguments: [
        (UInt64(1), ArgoBootSettings(macPermissive: true)),
        (UInt64(2), ArgoBootSettings(macPermissive: true, xsm: .silo)),
        (UInt64(3), ArgoBootSettings(macPermissive: false)),
        (UInt64(4), ArgoBootSettings(macPermissive: true, xsm: .flask(decider: HashDecider(), mode: .enforcing))),
        (UInt64(5), ArgoBootSettings(macPermissive: true, behaviour: ArgoEngineBehaviour(argoFirewall: true))),
    ])
    func invariantsHoldUnderRandomHypercalls(seed: UInt64, settings: ArgoBootSettings) {
        var run = RandomHypercallRun(seed: seed, settings: settings)
        for _ in 0 ..< Self.stepCount { run.step() }
        // The run must have exercised the interesting paths, not just failed.
        #expect(run.accepted > Self.stepCount / 50, "accepted \(run.accepted)")
        #expect(run.readBack > Self.stepCount / 100, "read back \(run.readBack)")
        for errno: XenErrno in [.EINVAL, .EFAULT, .ECONNREFUSED, .ESRCH, .EPERM, .EAGAIN, .ENOENT, .EEXIST, .EMSGSIZE, .EOPNOTSUPP] {
            #expect((run.errnos[errno] ?? 0) > 0, "never saw \(errno)")
        }
        #expect(run.rawCalls > Self.stepCount / 200 && run.pokes > Self.stepCount / 100 && run.unmaps > 0,
                "raw \(run.rawCalls), pokes \(run.pokes), unmaps \(run.unmaps)")
        if case .flask = settings.xsm {
            #expect((run.errnos[.EACCES] ?? 0) > 0, "FLASK never refused")
            #expect(run.hv.auditLog.contains { $0.denied }, "no AVC denial logged")
        }
    }
}

/// Allows `enable` everywhere and other permissions by a fixed pattern, so a
/// FLASK run refuses some pairs; domain 3 is a permissive type.
struct HashDecider: FlaskArgoDecider {
    var xenSID: UInt32 { 1 }
    func argoDecision(source: UInt32, target: UInt32) -> FlaskDecision {
        let hash = source &* 31 &+ target &* 17
        var allowed: UInt32 = 0xF
        if hash % 4 == 0 { allowed &= ~ArgoPermissions.send.rawValue }
        if hash % 5 == 0 { allowed &= ~ArgoPermissions.registerSingleSource.rawValue }
        if hash % 3 == 0 { allowed &= ~ArgoPermissions.registerAnySource.rawValue }
        return FlaskDecision(allowed: allowed, auditAllow: 0, auditDeny: 0xFFFF_FFFF, permissiveSource: source == 13)
    }
    func selfSID(of sid: UInt32) -> UInt32 { sid + 100 }
    func deviceModelTargetSID(deviceModel: UInt32, target: UInt32) -> UInt32 { target + 200 }
    func context(of sid: UInt32) -> String? { "system_u:system_r:t\(sid)_t" }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        return String(cString: pointer)
    }
}
