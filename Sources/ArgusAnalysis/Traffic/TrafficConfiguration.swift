import ArgoEngine
import Flask
import Foundation

/// What `argus simulate --generate` runs: the shape and size of a seeded workload.
public struct TrafficConfiguration: Sendable, Hashable {
    /// Fixes every random choice: the same seed and settings give a byte-identical JSON report.
    public var seed: UInt64 = 1
    /// Messages the senders attempt (stray sends included).
    public var messages: Int = 100_000
    /// Domains to run; nil: exactly the inventory. More than the inventory: the extra domains
    /// clone inventory labels round-robin (see docs/TRAFFIC.md).
    public var domains: Int?
    /// Rings each Argo-enabled domain registers (at most Xen's 128).
    public var ringsPerDomain: Int = 8
    /// Ring data length in bytes (a multiple of 16); 8128 is two pages with the 64-byte header.
    public var ringSize: UInt32 = 8128
    /// Payload sizes, chosen uniformly per message.
    public var sizes: [Int] = [16, 256, 4096]
    /// Destroy and recreate one domain every this many messages (0: never).
    public var churnEvery: Int = 50_000
    /// Refuse a run whose estimated memory (``estimatedMemory(inventoryCount:)``) is above this
    /// many bytes; nil: no limit (the command passes a fraction of physical memory).
    public var maxMemory: UInt64?

    /// Messages between two read passes of the receivers.
    public static let readEvery = 256
    /// A route, once chosen, carries a stream of 1 to this many messages (uniform). 1: off, because
    /// back-to-back 4 KiB messages on 8 KiB rings turn into EAGAIN storms whose notifies scan every ring.
    public static let longestStream = 1
    /// One stream in this many is a single message to a random ring (a stray send: denials, refusals).
    public static let strayOneIn = 64
    /// One EAGAIN in this many is followed by the sender's notify with a space_required entry.
    public static let senderNotifyOneIn = 16
    /// One message in this many goes through the full sendv hypercall (arguments in guest memory).
    public static let hypercallOneIn = 256
    /// One receiving domain in this many is slow: it reads only every `slowReadPasses` passes.
    public static let slowOneIn = 8
    public static let slowReadPasses = 8

    public init() {}

    /// Parses `16,256,4096`.
    public static func parseSizes(_ text: String) throws(InputError) -> [Int] {
        var sizes: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let value = Int(trimmed), value >= 0 else {
                throw InputError("'\(trimmed)' is not a byte count (expected e.g. 16,256,4096)", option: "--sizes")
            }
            sizes.append(value)
        }
        guard !sizes.isEmpty else { throw InputError("give at least one size", option: "--sizes") }
        return sizes
    }

    /// Refuses settings the engine cannot run, with the reason (the option named in front).
    public func validate(inventoryCount: Int) throws(InputError) {
        guard messages >= 0 else { throw InputError("must not be negative", option: "--messages") }
        guard (1...Int(ArgoABI.maxRingsPerDomain)).contains(ringsPerDomain) else {
            throw InputError("must be between 1 and \(ArgoABI.maxRingsPerDomain) (Xen's limit per domain)", option: "--rings-per-domain")
        }
        guard ringSize >= ArgoABI.minRingLength, ringSize <= ArgoABI.maxRingSize, ringSize % 16 == 0 else {
            throw InputError("must be a multiple of 16 between \(ArgoABI.minRingLength) and \(ArgoABI.maxRingSize)", option: "--ring-size")
        }
        let largest = sizes.max() ?? 0
        // A message needs its 16-byte header and slot rounding, and Xen never fills a ring completely.
        guard UInt64(ArgoABI.roundUpToSlot(UInt32(min(largest, Int(ArgoABI.maxMessageSize))))) + 16 < UInt64(ringSize),
              largest <= Int(ArgoABI.maxMessageSize) else {
            throw InputError("a \(largest)-byte message cannot fit a \(ringSize)-byte ring (needs more than size + 16)", option: "--sizes")
        }
        if let domains {
            guard domains >= 1 else { throw InputError("must be at least 1", option: "--domains") }
            guard domains <= 30_000 else { throw InputError("must be at most 30000 (domids run out at 0x7ff0)", option: "--domains") }
        }
        guard inventoryCount > 0 else { throw InputError("the system file declares no domains") }
        guard churnEvery >= 0 else { throw InputError("must not be negative", option: "--churn-every") }
        if let maxMemory {
            let estimate = estimatedMemory(inventoryCount: inventoryCount)
            guard estimate <= maxMemory else {
                throw InputError("this run needs about \(Self.describeBytes(estimate)) "
                    + "(\(domains ?? inventoryCount) domains x \(ringsPerDomain) rings of \(ringSize) bytes), "
                    + "more than the limit of \(Self.describeBytes(maxMemory)); use fewer or smaller rings, or raise --max-memory", option: "--max-memory")
            }
        }
    }

    /// An upper bound on the host memory a run takes: every ring registered (its guest pages
    /// and the engine's and the reader's bookkeeping), each domain's driver pages and payload
    /// staging, and the per-domain state. Independent of the number of messages.
    public func estimatedMemory(inventoryCount: Int) -> UInt64 {
        let domainCount = UInt64(domains ?? inventoryCount)
        let ringBytes = UInt64(ArgoABI.pagesForRing(length: ringSize)) * UInt64(ArgoABI.pageSize) + 2048
        let staging = UInt64(sizes.max() ?? 0).roundedUp(toMultipleOf: UInt64(ArgoABI.pageSize))
        let perDomain = UInt64(ringsPerDomain) * ringBytes + 9 * UInt64(ArgoABI.pageSize) + staging + 16 * 1024
        let (total, overflow) = domainCount.multipliedReportingOverflow(by: perDomain)
        return overflow ? .max : total
    }

    /// `1.5 GiB`, `300 MiB`.
    public static func describeBytes(_ bytes: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }

    /// Parses a byte count: `4096`, `512M`, `2G`, `1.5GiB` (K, M, G, T are powers of 1024).
    public static func parseByteCount(_ text: String) -> UInt64? {
        var number = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where number.hasSuffix(suffix) && number.count > suffix.count {
            number.removeLast(suffix.count)
            break
        }
        var multiplier = 1.0
        if let last = number.last, let power = ["K": 1.0, "M": 2.0, "G": 3.0, "T": 4.0][String(last)] {
            multiplier = pow(1024, power)
            number.removeLast()
        }
        guard let value = Double(number), value.isFinite, value > 0, value * multiplier < 1.8e19 else { return nil }
        return UInt64(value * multiplier)
    }
}

extension UInt64 {
    func roundedUp(toMultipleOf step: UInt64) -> UInt64 { (self + step - 1) / step * step }
}
