import ArgoEngine
import Foundation

/// sendv + read through the engine, next to plain memcpy of the same bytes in the same run.
enum EngineBenchmarks {
    static func run(report: inout Report) throws {
        let runs = 7
        let sizes = (ProcessInfo.processInfo.environment["ENGINE_SIZES"] ?? "16,256,4096").split(separator: ",").compactMap { Int($0) }
        for size in sizes where size > 0 {
            let count = size == 4096 ? 300_000 : 3_000_000
            // Engine and baseline alternate, so that a noisy moment hits both alike.
            var argo: [Double] = [], copy: [Double] = []
            for _ in 0..<runs {
                argo.append(Double(count) / (try sendAndRead(size: size, count: count)))
                copy.append(Double(count) / memcpyBaseline(size: size, count: count))
            }
            argo.sort()
            copy.sort()
            let median = runs / 2
            report.add(
                "engine sendv+read \(size) B (\(runs) runs: min / median / max)",
                String(format: "%.2f / %.2f / %.2f M msg/s (median %.2f GB/s)", argo[0] / 1e6, argo[median] / 1e6,
                       argo[runs - 1] / 1e6, argo[median] * Double(size) / 1e9),
                baseline: String(format: "memcpy in+out of a ring-sized buffer, median %.2f GB/s (max %.2f)",
                                 copy[median] * Double(size) / 1e9, copy[runs - 1] * Double(size) / 1e9),
                ratio: argo[median] / copy[median])
        }
    }

    /// Seconds to send and read `count` messages of `size` bytes from dom0 to a guest ring.
    static func sendAndRead(size: Int, count: Int) throws -> Double {
        let hv = ArgoHypervisor(settings: ArgoBootSettings(argoEnabled: true, macPermissive: false, xsm: .dummy))
        _ = try hv.createDomain(ArgoDomainSpec(domid: 0, name: "dom0", isControl: true))
        _ = try hv.createDomain(ArgoDomainSpec(domid: 1, name: "guest"))
        let guest = hv.guest(1)
        try guest.registerRing(aport: 1, partner: 0, length: 1024 * 1024)
        guard let record = guest.ring(aport: 1, partner: 0), var reader = guest.reader(for: record) else {
            preconditionFailure("ring not registered")
        }
        let payload = [UInt8](repeating: 0x5a, count: size)
        var sink = [UInt8](repeating: 0, count: size)
        var received = 0
        let source = ArgoAddress(aport: 1, domainID: 0), destination = ArgoAddress(aport: 1, domainID: 1)
        // Warm-up, before the clock: one lap of the ring, so that its pages are faulted in as the
        // baseline's buffer is (a guest's ring is guest RAM it has long since touched).
        try payload.withUnsafeBytes { bytes in
            for _ in 0...(1024 * 1024 / ((size + 16 + 15) & ~15)) {
                try hv.send(from: 0, source: source, destination: destination, messageType: 1, payload: bytes)
                reader.consume { _, _, _ in }
            }
        }
        _ = hv.drainSignalCount()
        let start = Clock.now()
        try payload.withUnsafeBytes { bytes in
            try sink.withUnsafeMutableBytes { out in
                for message in 0..<count {
                    try hv.send(from: 0, source: source, destination: destination, messageType: 1, payload: bytes)
                    received += reader.consume { _, _, data in out.copyMemory(from: data) }
                    // The guest takes its VIRQs now and then (the engine logs each until drained).
                    if message & 1023 == 1023 { _ = hv.drainSignalCount() }
                }
            }
        }
        let elapsed = Clock.now() - start
        precondition(received == count && sink[size - 1] == 0x5a, "messages lost")
        return elapsed
    }

    /// Seconds to copy each payload into a 1 MiB buffer at an advancing offset and back out.
    static func memcpyBaseline(size: Int, count: Int) -> Double {
        let payload = [UInt8](repeating: 0x5a, count: size)
        var ring = [UInt8](repeating: 0, count: 1024 * 1024)
        var sink = [UInt8](repeating: 0, count: size)
        let stride = (size + 16 + 15) & ~15
        let start = Clock.now()
        payload.withUnsafeBytes { source in
            ring.withUnsafeMutableBytes { r in
                sink.withUnsafeMutableBytes { out in
                    var offset = 0
                    for _ in 0..<count {
                        if offset + stride > r.count { offset = 0 }
                        (r.baseAddress! + offset + 16).copyMemory(from: source.baseAddress!, byteCount: size)
                        out.baseAddress!.copyMemory(from: r.baseAddress! + offset + 16, byteCount: size)
                        offset += stride
                    }
                }
            }
        }
        let elapsed = Clock.now() - start
        precondition(sink[size - 1] == 0x5a)
        return elapsed
    }
}
