import Foundation

// Argus benchmarks: `make bench` (release build). Every figure is printed next to a baseline
// measured in the same run: libsepol's own security server, or memcpy for the engine.

#if canImport(Glibc)
import Glibc
#endif

enum Clock {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// The median of `runs` timings of `body`, in seconds.
    static func median(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = now()
            try body()
            times.append(now() - start)
        }
        return times.sorted()[times.count / 2]
    }
}

/// The rows printed at the end.
struct Report {
    struct Row {
        var name: String
        var result: String
        var baseline: String
        var ratio: Double?
    }
    var rows: [Row] = []

    mutating func add(_ name: String, _ result: String, baseline: String, ratio: Double? = nil) {
        rows.append(Row(name: name, result: result, baseline: baseline, ratio: ratio))
        let r = ratio.map { String(format: "  (%.2fx)", $0) } ?? ""
        print("\(name): \(result) | \(baseline)\(r)")
    }

    func markdown() -> String {
        var out = "| benchmark | result | baseline (same run) | ratio |\n|---|---|---|---|\n"
        for row in rows {
            out += "| \(row.name) | \(row.result) | \(row.baseline) | \(row.ratio.map { String(format: "%.2fx", $0) } ?? "") |\n"
        }
        return out
    }
}

let selected = Set(CommandLine.arguments.dropFirst())
func wants(_ name: String) -> Bool { selected.isEmpty || selected.contains(name) }

var report = Report()
do {
    if wants("policy") { try PolicyBenchmarks.loading(report: &report) }
    if wants("table") { try PolicyBenchmarks.lookups(report: &report) }
    if wants("audit") { try PolicyBenchmarks.auditAtScale(report: &report) }
    if wants("cli") { try PolicyBenchmarks.coldAudit(report: &report) }
    if wants("exposure") { try ExposureBenchmarks.run(report: &report) }
    if wants("engine") { try EngineBenchmarks.run(report: &report) }
    if wants("traffic") { try TrafficBenchmarks.run(report: &report) }
} catch {
    FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
    exit(2)
}
print("\n" + report.markdown())
