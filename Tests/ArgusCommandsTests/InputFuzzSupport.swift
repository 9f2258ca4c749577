import CommandTestSupport
import Foundation
import Testing
import ArgusCommands
import TestSupport

/// How long the random phases run: a few seconds by default, `ARGUS_FUZZ_SECONDS` for more.
enum FuzzBudget {
    static var seconds: Double {
        ProcessInfo.processInfo.environment["ARGUS_FUZZ_SECONDS"].flatMap(Double.init) ?? 1.5
    }
    /// No single run may take longer than this (debug build, shared machine).
    static let perRun: Double = 10
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["ARGUS_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x13
    }
}

/// Mutations of a valid input, each named so that a failure says what was done.
struct Mutator {
    var random: SplitMix64

    /// Bytes YAML forbids anywhere in a stream (so a document holding one is invalid).
    static let forbiddenControls: [UInt8] = [0x00, 0x01, 0x07, 0x08, 0x0B, 0x0C, 0x1B, 0x7F]
    static let hugeNumbers = ["99999999999999999999999", "-1", "0xFFFFFFFFFFFFFFFF", "18446744073709551616", "1e309",
                              "-9223372036854775808", "0x", "4294967296", "65536", "0xFFFFFFF0"]

    mutating func pick<T>(_ items: [T]) -> T { items[random.below(items.count)] }

    /// One random mutation: (what, bytes, whether the result is certainly invalid YAML).
    mutating func mutate(_ input: [UInt8]) -> (String, [UInt8], invalid: Bool) {
        var bytes = input
        let at = bytes.isEmpty ? 0 : random.below(bytes.count)
        switch random.below(9) {
        case 0:
            return ("truncate at \(at)", Array(bytes.prefix(at)), false)
        case 1:
            let bit = UInt8(1) << UInt8(random.below(8))
            if !bytes.isEmpty { bytes[at] ^= bit }
            return ("flip bit \(bit) of byte \(at)", bytes, false)
        case 2:
            let control = pick(Self.forbiddenControls)
            bytes.insert(control, at: at)
            return ("insert control 0x\(String(control, radix: 16)) at \(at)", bytes, true)
        case 3:
            bytes.insert(contentsOf: [pick([0xC3, 0xFF, 0xED, 0xF4, 0x80])], at: at)
            return ("insert a byte that is not UTF-8 at \(at)", bytes, true)
        case 4:
            // Replace the first number after `at` with a huge or odd one.
            guard let digit = bytes[at...].firstIndex(where: { (0x30 ... 0x39).contains($0) }) else { return mutate(input) }
            var end = digit
            while end < bytes.count, (0x30 ... 0x39).contains(bytes[end]) || bytes[end] == UInt8(ascii: "x") { end += 1 }
            let number = pick(Self.hugeNumbers)
            bytes.replaceSubrange(digit ..< end, with: Array(number.utf8))
            return ("number at \(digit) -> \(number)", bytes, false)
        case 5:
            let depth = random.within(150 ... 5000)
            let nest = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            bytes.insert(contentsOf: Array(nest.utf8), at: at)
            return ("insert \(depth) nested lists at \(at)", bytes, false)
        case 6:
            let long = String(repeating: "A", count: random.within(1 ... 1 << 20))
            bytes.insert(contentsOf: Array(long.utf8), at: at)
            return ("insert a \(long.utf8.count)-byte string at \(at)", bytes, false)
        case 7:
            // Duplicate a random slice (lines and keys repeated).
            let end = min(bytes.count, at + random.within(1 ... 200))
            bytes.insert(contentsOf: Array(bytes[at ..< end]), at: end)
            return ("duplicate bytes \(at)..<\(end)", bytes, false)
        default:
            let control = pick([UInt8(0x0D), 0x09, 0x0A])
            bytes.insert(control, at: at)
            return ("insert allowed control 0x\(String(control, radix: 16)) at \(at)", bytes, false)
        }
    }
}

/// One in-process run of argus over a hostile input, and the promises it must keep.
struct FuzzRun {
    let status: Int32
    let out: String
    let err: String
    let seconds: Double

    static func run(_ arguments: [String]) -> FuzzRun {
        let start = Date()
        let r = runArgus(arguments)
        return FuzzRun(status: r.status, out: r.out, err: r.err, seconds: Date().timeIntervalSince(start))
    }

    /// The promises: exit 0, 1 or 2 within the budget; on 2 exactly one stderr line, nothing on
    /// stdout, and the line starts with one of `places` (with `:LINE` when `needsLine`).
    func check(_ what: String, places: [String], needsLine: Bool, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
        var ok = true
        func fail(_ message: String) {
            ok = false
            Issue.record("\(what): \(message)", sourceLocation: sourceLocation)
        }
        if ![0, 1, 2].contains(status) { fail("exit \(status)") }
        if seconds > FuzzBudget.perRun { fail("took \(seconds) s") }
        if status == 2 {
            let lines = err.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count != 2 || !err.hasSuffix("\n") { fail("stderr is not one line: \(err.debugDescription)") }
            if !out.isEmpty { fail("output on stdout despite exit 2: \(out.prefix(200).debugDescription)") }
            let placed = places.contains { place in
                guard err.hasPrefix(place + ":") else { return false }
                guard needsLine else { return true }
                let rest = err.dropFirst(place.count + 1)
                return rest.first?.isNumber == true
            }
            if !places.isEmpty && !placed { fail("error without its place\(needsLine ? " and line" : ""): \(err.debugDescription)") }
        }
        return ok
    }
}

/// Failing inputs are kept so they can be added to Tests/Fuzz (replayed by `SavedCrasherTests`).
enum CrasherJar {
    static func save(_ bytes: [UInt8], name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-fuzz-crashers")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}
