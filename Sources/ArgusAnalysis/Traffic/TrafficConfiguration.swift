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
                throw InputError("--sizes: '\(trimmed)' is not a byte count (expected e.g. 16,256,4096)")
            }
            sizes.append(value)
        }
        guard !sizes.isEmpty else { throw InputError("--sizes: give at least one size") }
        return sizes
    }

    /// Refuses settings the engine cannot run, with the reason.
    public func validate(inventoryCount: Int) throws(InputError) {
        guard messages >= 0 else { throw InputError("--messages must not be negative") }
        guard (1...Int(ArgoABI.maxRingsPerDomain)).contains(ringsPerDomain) else {
            throw InputError("--rings-per-domain must be between 1 and \(ArgoABI.maxRingsPerDomain) (Xen's limit per domain)")
        }
        guard ringSize >= ArgoABI.minRingLength, ringSize <= ArgoABI.maxRingSize, ringSize % 16 == 0 else {
            throw InputError("--ring-size must be a multiple of 16 between \(ArgoABI.minRingLength) and \(ArgoABI.maxRingSize)")
        }
        let largest = sizes.max() ?? 0
        // A message needs its 16-byte header and slot rounding, and Xen never fills a ring completely.
        guard UInt64(ArgoABI.roundUpToSlot(UInt32(min(largest, Int(ArgoABI.maxMessageSize))))) + 16 < UInt64(ringSize),
              largest <= Int(ArgoABI.maxMessageSize) else {
            throw InputError("--sizes: a \(largest)-byte message cannot fit a \(ringSize)-byte ring (needs more than size + 16)")
        }
        if let domains {
            guard domains >= 1 else { throw InputError("--domains must be at least 1") }
            guard domains <= 30_000 else { throw InputError("--domains must be at most 30000 (domids run out at 0x7ff0)") }
        }
        guard inventoryCount > 0 else { throw InputError("the system file declares no domains") }
        guard churnEvery >= 0 else { throw InputError("--churn-every must not be negative") }
    }
}
