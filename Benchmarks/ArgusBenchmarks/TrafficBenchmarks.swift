import ArgoEngine
import ArgusAnalysis
import Flask
import Foundation

/// `argus simulate --generate` at scale: 1,000 domains x 128 rings, 10 million messages on the
/// example policy (domains cloned from the example's labels), next to the engine's
/// single-ring send+read throughput measured in the same run. Peak RSS from /proc (VmHWM).
enum TrafficBenchmarks {
    static func run(report: inout Report) throws {
        let inventory = try SystemInventory.load(PolicyBenchmarks.root.appendingPathComponent("examples/system.toml").path)
        let policy = try PolicyLoader(flaskDirectory: PolicyBenchmarks.flaskPath).load(PolicyBenchmarks.examplePath)
        let system = try ResolvedSystem(inventory: inventory, policy: policy)
        let messages = Int(ProcessInfo.processInfo.environment["TRAFFIC_MESSAGES"] ?? "") ?? 10_000_000
        var configuration = TrafficConfiguration()
        configuration.seed = 1
        configuration.messages = messages
        configuration.domains = Int(ProcessInfo.processInfo.environment["TRAFFIC_DOMAINS"] ?? "") ?? 1000
        configuration.ringsPerDomain = 128
        configuration.ringSize = 8128
        configuration.sizes = [16, 256, 4096]
        configuration.churnEvery = 100_000

        // The process's peak so far belongs to the benchmarks that ran before this one: reset it
        // (writing 5 to clear_refs resets VmHWM to the current RSS).
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let rssBefore = peakRSSKiB()
        let setupStart = Clock.now()
        let simulator = try TrafficSimulator(system: system, configuration: configuration)
        simulator.registerRings()
        let setup = Clock.now() - setupStart
        let start = Clock.now()
        let result = simulator.run()
        let wall = Clock.now() - start
        let rss = peakRSSKiB()
        // Ring memory actually held: each ring's pages (data + 64-byte header, whole pages).
        let pagesPerRing = Int(ArgoABI.pagesForRing(length: configuration.ringSize))
        let ringMiB = Double(result.ringsRegistered * pagesPerRing * 4096) / 1_048_576

        let single = try EngineBenchmarks.sendAndRead(size: 256, count: 2_000_000)
        let singleRate = 2_000_000 / single
        let rate = Double(messages) / wall
        // What no simulator of this workload can beat on this machine: the same number of
        // messages of the same sizes copied into as many rings and their headers walked, nothing else.
        let floor = TrafficFloor.seconds(rings: result.ringsRegistered, ringSize: Int(configuration.ringSize),
                                         messages: messages, sizes: configuration.sizes, seed: configuration.seed)
        print(String(format: "traffic: memory floor %.2f s (%d rings of %d bytes, the same %d messages copied in and their headers walked, "
                     + "no checks or lookups); engine single ring 256 B %.2f M msg/s", floor, result.ringsRegistered,
                     Int(configuration.ringSize), messages, singleRate / 1e6))
        print(String(format: "traffic: setup %.2f s, not in the wall time below (domains, plan, %d ring registrations by hypercall, which fault in the ring pages)", setup, result.registrations))
        print(String(format: "traffic: %d attempted, %d delivered, %d read, EAGAIN %d, denials %d, %d domains recreated",
                     result.messagesAttempted, result.messagesDelivered, result.messagesRead, result.eagain, result.denials,
                     result.domainsRecreated))
        print(String(format: "traffic: peak RSS %.0f MiB (before the run %.0f MiB); ring pages %.0f MiB (%d rings x %d pages)",
                     Double(rss) / 1024, Double(rssBefore) / 1024, ringMiB, result.ringsRegistered, pagesPerRing))
        report.add("traffic: 1,000 domains x 128 rings, \(messages / 1_000_000) M messages (16/256/4096 B, FLASK)",
                   String(format: "%.2f s wall, %.2f M msg/s, peak RSS %.0f MiB (ring pages %.0f MiB)",
                          wall, rate / 1e6, Double(rss) / 1024, ringMiB),
                   baseline: String(format: "memory floor (same copies into as many rings, no checks): %.2f s", floor),
                   ratio: floor / wall)
    }

    /// `VmHWM` from /proc/self/status, in KiB.
    static func peakRSSKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
