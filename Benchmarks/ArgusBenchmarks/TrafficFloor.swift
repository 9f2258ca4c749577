import ArgusAnalysis
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The data movement a traffic run cannot avoid, measured in the same run: the same number of
/// messages of the same sizes written into the same number of ring-sized buffers chosen at
/// random (16-byte header + payload at each buffer's write offset, wrapping), and each
/// written buffer's headers walked every `TrafficConfiguration.readEvery` messages.
/// No checks, no lookups, no Argo: what is left is cache misses on random rings and the copies.
enum TrafficFloor {
    static func seconds(rings: Int, ringSize: Int, messages: Int, sizes: [Int], seed: UInt64) -> Double {
        let stride = (ringSize + 64 + 4095) & ~4095
        let bytes = rings * stride
        // Like the engine's page arena: anonymous, huge pages where the kernel gives them, and
        // faulted in before the clock starts (as the simulator's ring registrations do).
        guard let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else { return .nan }
        madvise(memory, bytes, MADV_HUGEPAGE)
        for page in Swift.stride(from: 0, to: bytes, by: 4096) { memory.storeBytes(of: 0, toByteOffset: page, as: UInt8.self) }
        defer { munmap(memory, bytes) }
        let largest = sizes.max() ?? 0
        let payload = UnsafeMutableRawPointer.allocate(byteCount: max(largest, 1), alignment: 16)
        defer { payload.deallocate() }
        memset(payload, 0x5a, largest)
        var tx = [UInt32](repeating: 0, count: rings)
        var rx = [UInt32](repeating: 0, count: rings)
        var dirty: [Int] = []
        var isDirty = [Bool](repeating: false, count: rings)
        var random = SeededRandom(seed: seed)
        var checksum = 0
        let start = Clock.now()
        for message in 0..<messages {
            if message > 0 && message % TrafficConfiguration.readEvery == 0 {
                for ring in dirty {
                    let base = memory.advanced(by: ring * stride + 64)
                    var r = Int(rx[ring])
                    let t = Int(tx[ring])
                    // The simulator's receivers walk the message headers and hand each payload
                    // over in place (they do not copy it out), so the floor does the same.
                    while r != t {
                        let length = Int(base.load(fromByteOffset: r, as: UInt32.self)) - 16
                        checksum &+= length
                        r = (r + 16 + length + 15) & ~15
                        if r >= ringSize { r -= ringSize }
                    }
                    rx[ring] = UInt32(r)
                    isDirty[ring] = false
                }
                dirty.removeAll(keepingCapacity: true)
            }
            let ring = random.below(rings)
            let size = sizes[random.below(sizes.count)]
            let base = memory.advanced(by: ring * stride + 64)
            let t = Int(tx[ring]), r = Int(rx[ring])
            var space = r - t
            if space <= 0 { space += ringSize }
            let rounded = (size + 15) & ~15
            guard rounded + 16 < space else { continue }
            base.storeBytes(of: UInt32(size + 16), toByteOffset: t, as: UInt32.self)
            var at = t + 16
            if at >= ringSize { at -= ringSize }
            let first = min(size, ringSize - at)
            (base + at).copyMemory(from: payload, byteCount: first)
            if first < size { base.copyMemory(from: payload + first, byteCount: size - first) }
            var next = t + 16 + rounded
            if next >= ringSize { next -= ringSize }
            tx[ring] = UInt32(next)
            if !isDirty[ring] { isDirty[ring] = true; dirty.append(ring) }
        }
        let elapsed = Clock.now() - start
        precondition(checksum >= 0)
        return elapsed
    }
}
