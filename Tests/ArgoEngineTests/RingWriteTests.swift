import Testing
@testable import ArgoEngine

/// `ringbuf_insert` takes a short cut when the ring's pages are one block of host memory and
/// the payload does not wrap (one copy per iov); otherwise it walks the ring page by page.
/// Both must leave the same bytes in the ring.
@Suite struct RingWriteTests {
    @Test func contiguousRingHoldsTheSameBytesAsAPageByPageRing() throws {
        let hv = makeWorld()
        let receiver = hv.guest(1)
        let length: UInt32 = 3 * 4096 - 64
        try receiver.registerRing(aport: 1, partner: 0, length: length)
        // The second ring's frames get their host pages last first, so they are not one block.
        let memory = try #require(hv.memory(of: 1))
        let frames: [UInt64] = [0x900, 0x901, 0x902]
        for frame in frames.reversed() {
            memory.populate(frame)
            try memory.writeBytes(frame << 12, [1])
            try memory.writeBytes(frame << 12, [0])
        }
        try receiver.registerRing(aport: 2, partner: 0, length: length, frames: frames)
        let argo = try #require(hv.domain(1)?.argo)
        let oneBlock = try #require(argo.findRing(RingID(owner: 1, aport: 1, partner: 0)))
        let pageByPage = try #require(argo.findRing(RingID(owner: 1, aport: 2, partner: 0)))
        try #require(oneBlock.contiguousBase != nil && pageByPage.contiguousBase == nil)
        let records = try [UInt32(1), 2].map { aport in try #require(receiver.ring(aport: aport, partner: 0)) }

        let sender = hv.guest(0)
        var written = 0
        func send(_ iovs: [[UInt8]], step: Int) throws {
            for aport: UInt32 in [1, 2] {
                let destination = address(1, aport)
                if step.isMultiple(of: 3) {
                    // The host path: one buffer.
                    try iovs.joined().map { $0 }.withUnsafeBytes { bytes in
                        _ = try hv.send(from: 0, source: address(0, 7), destination: destination, messageType: UInt32(step),
                                        payload: bytes)
                    }
                } else {
                    _ = try sender.sendv(source: address(0, 7), destination: destination, iovs: iovs, messageType: UInt32(step))
                }
            }
            written += 1
            // Compared as one Bool each: a failure names the step instead of printing two rings.
            let sameBytes = receiver.ringBytes(records[0]) == receiver.ringBytes(records[1])
            let read = records.map { receiver.readMessages($0) }
            let sameMessages = read[0].count == 1 && read[0] == read[1]
            let payloadIntact = read[0].first?.payload == Array(iovs.joined())
            try #require(sameBytes && sameMessages && payloadIntact,
                         "step \(step): same bytes \(sameBytes), same messages \(sameMessages), payload intact \(payloadIntact)")
        }
        func bytes(_ count: Int, _ seed: Int) -> [UInt8] { (0 ..< count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) } }

        for step in 0 ..< 90 {
            let tx = Int(receiver.pointers(records[0]).tx)
            let size: Int
            switch step % 6 {
            case 4: size = Int(length) - tx - 16          // ends exactly at the end of the ring
            case 5: size = Int(length) - tx - 32          // the next header takes the last slot
            default: size = (step &* 977) % 3000
            }
            guard size >= 0, size <= 3000 else { continue }
            // Split across iovs, empty ones among them, so that an iov ends inside a page
            // or on a page boundary.
            let first = size / 3, second = size / 4
            let iovs = [bytes(first, step), [], bytes(second, step + 1), bytes(size - first - second, step + 2), []]
            try send(iovs, step: step)
        }
        #expect(written > 60)
        #expect(receiver.pointers(records[0]) == receiver.pointers(records[1]))
    }
}
