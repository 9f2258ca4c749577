/// A read-only view of one registered ring.
public struct RingSnapshot: Sendable, Hashable {
    public var id: RingID
    public var length: UInt32
    /// The hypervisor's private tx_ptr.
    public var txPtr: UInt32
    public var frames: [UInt64]
    /// Pending space notifications, list head first: (waiter domid, bytes wanted).
    public var waits: [PendingWaitSnapshot]
}

public struct PendingWaitSnapshot: Sendable, Hashable {
    public var waiter: UInt16
    public var length: UInt32
    public var ring: RingID
}

/// A read-only view of a domain's Argo state.
public struct ArgoDomainSnapshot: Sendable, Hashable {
    public var domid: UInt16
    /// The counter checked against the 128-ring limit (may exceed `rings.count`: see ARGO-QUIRKS.md).
    public var ringCount: UInt32
    /// Rings in Xen's hash-bucket order.
    public var rings: [RingSnapshot]
    /// Single-sender rings that name this domain as partner (`send_hash`), stale ones included.
    public var sendInfos: [RingID]
    /// This domain's waits on other domains' wildcard rings.
    public var wildcardWaits: [PendingWaitSnapshot]
}

extension ArgoHypervisor {
    /// The Argo state of a live domain, or nil if it has none.
    public func snapshot(of domid: UInt16) -> ArgoDomainSnapshot? {
        guard let argo = domain(domid)?.argo else { return nil }
        func view(_ wait: PendingWait) -> PendingWaitSnapshot {
            PendingWaitSnapshot(waiter: wait.waiter, length: wait.length, ring: wait.ring.id)
        }
        let rings = argo.allRings.map { ring in
            RingSnapshot(id: ring.id, length: ring.length, txPtr: ring.txPtr, frames: ring.frames,
                         waits: ring.pending.map(view))
        }
        return ArgoDomainSnapshot(domid: domid, ringCount: argo.ringCount, rings: rings,
                                  sendInfos: argo.sendBuckets.flatMap { $0 }, wildcardWaits: argo.wildcardWaits.map(view))
    }

    /// Every registered ring of every live domain, by owner domid then hash order.
    public var registeredRings: [RingSnapshot] {
        domids.flatMap { snapshot(of: $0)?.rings ?? [] }
    }

    /// A registered ring's memory through the pages the hypervisor mapped:
    /// the 64-byte header then `length` data bytes.
    public func ringMemory(_ id: RingID) -> [UInt8]? {
        guard let ring = domain(id.owner)?.argo?.findRing(id), ring.length != 0 else { return nil }
        let total = Int(ring.length) + ArgoABI.ringHeaderSize
        var bytes = [UInt8](repeating: 0, count: total)
        bytes.withUnsafeMutableBytes { buffer in
            var done = 0
            var index = 0
            while done < total {
                let chunk = min(ArgoABI.pageSize, total - done)
                buffer.baseAddress!.advanced(by: done).copyMemory(from: ring.pointers[index], byteCount: chunk)
                done += chunk
                index += 1
            }
        }
        return bytes
    }

    /// Live domain names by domid.
    public func name(of domid: UInt16) -> String? { domain(domid)?.name }
}

extension ArgoHypervisor {
    /// Whether a live domain is a control domain.
    public func isControlDomain(_ domid: UInt16) -> Bool { domain(domid)?.isControl ?? false }
}

extension ArgoHypervisor {
    /// Empties the AVC cache, as loading a new policy does (`avc_ss_reset`).
    /// Decisions are asked of the decider again afterwards.
    public func flushAVCCache() { avcCache.removeAll() }
}
