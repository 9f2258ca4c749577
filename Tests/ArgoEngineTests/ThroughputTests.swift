#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ArgoEngine

/// Throughput measurements; run with ARGUS_BENCH=1 (best in release: `swift test -c release`).
@Suite struct ThroughputTests {
    static var enabled: Bool { Environment.value("ARGUS_BENCH") != nil }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    @Test(.enabled(if: ThroughputTests.enabled))
    func smallMessages() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        try a1.registerRing(aport: 1, partner: 0, length: 64 * 1024 - 64)
        let record = try #require(a1.ring(aport: 1, partner: 0))
        var reader = try #require(a1.reader(for: record))
        let payload = [UInt8](repeating: 7, count: 16)
        let count = 2_000_000
        var received = 0
        let start = Self.now()
        try payload.withUnsafeBytes { bytes in
            for _ in 0 ..< count {
                try hv.send(from: 0, source: address(0, 1), destination: address(1, 1), messageType: 1, payload: bytes)
                received += reader.consume { _, _, data in precondition(data.count == 16) }
            }
        }
        let elapsed = Self.now() - start
        #expect(received == count)
        print("16-byte sendv+read: \(Int(Double(count) / elapsed)) per second")
    }

    @Test(.enabled(if: ThroughputTests.enabled))
    func largeMessages() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        try a1.registerRing(aport: 1, partner: 0, length: 1024 * 1024)
        let record = try #require(a1.ring(aport: 1, partner: 0))
        var reader = try #require(a1.reader(for: record))
        let payload = [UInt8](repeating: 7, count: 4096)
        var sink = [UInt8](repeating: 0, count: 4096)
        let count = 200_000
        var bytesMoved = 0
        let start = Self.now()
        try payload.withUnsafeBytes { bytes in
            for _ in 0 ..< count {
                try hv.send(from: 0, source: address(0, 1), destination: address(1, 1), messageType: 1, payload: bytes)
                reader.consume { _, _, data in
                    sink.withUnsafeMutableBytes { $0.copyMemory(from: data) }
                    bytesMoved += data.count
                }
            }
        }
        let elapsed = Self.now() - start
        // memcpy reference: the same work without Argo, copying each payload into a
        // 1 MiB buffer at the ring's advancing offset and back out.
        var ringSized = [UInt8](repeating: 0, count: 1024 * 1024)
        let memcpyStart = Self.now()
        var offset = 0
        payload.withUnsafeBytes { source in
            ringSized.withUnsafeMutableBytes { ring in
                sink.withUnsafeMutableBytes { out in
                    for _ in 0 ..< count {
                        if offset + 4096 > ring.count { offset = 0 }
                        ring.baseAddress!.advanced(by: offset).copyMemory(from: source.baseAddress!, byteCount: 4096)
                        out.baseAddress!.copyMemory(from: ring.baseAddress!.advanced(by: offset), byteCount: 4096)
                        offset += 4112
                    }
                }
            }
        }
        let memcpyElapsed = Self.now() - memcpyStart
        #expect(bytesMoved == count * 4096)
        print("4 KiB sendv+read: \(Double(bytesMoved) / elapsed / 1e9) GB/s payload; two memcpys through a 1 MiB buffer: \(Double(count * 4096) / memcpyElapsed / 1e9) GB/s")
    }
}
