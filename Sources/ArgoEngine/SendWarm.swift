import CCacheHint

/// How far along a coming send's lookups to warm the caches: the steps of sendv's chain of
/// dependent loads (target domain's ring table, then the ring object, then the ring's pages).
/// A workload that knows its next sends (the traffic simulator) warms each one a few sends
/// ahead, one step at a time, so that by the time the send runs every load hits.
public enum SendWarmStep: Sendable {
    /// The ring table slot where the lookup starts.
    case table
    /// The ring object (the table slot should be warm by now).
    case ring
    /// The ring header (rx_ptr, tx_ptr) and the slot at tx_ptr the message header goes to.
    case pages
}

extension ArgoHypervisor {
    /// Issues cache hints for a send from `sender` to `destination`. Changes nothing the engine
    /// does or returns (no reference counts, no state, no statistics): a hint for a send that
    /// will fail, or a ring that goes away first, is just wasted.
    @inline(__always)
    public func warmSend(from sender: UInt16, to destination: ArgoAddress, step: SendWarmStep) {
        guard let target = domainRef(destination.domainID),
              let argoRef = target._withUnsafeGuaranteedRef({ $0.argoRef }) else { return }
        argoRef._withUnsafeGuaranteedRef { argo in warm(argo, sender: sender, destination: destination, step: step) }
    }

    @inline(__always)
    private func warm(_ argo: ArgoDomainState, sender: UInt16, destination: ArgoAddress, step: SendWarmStep) {
        switch step {
        case .table:
            argus_prefetch_read(argo.table.probeStart(aport: destination.aport, partner: sender))
        case .ring:
            guard let ring = argo.table.findUnretained(aport: destination.aport, partner: sender) else { return }
            let object = UnsafeRawPointer(ring.toOpaque())
            argus_prefetch_write(object)
            argus_prefetch_write(object + 64)
        case .pages:
            guard let ring = argo.table.findUnretained(aport: destination.aport, partner: sender) else { return }
            ring._withUnsafeGuaranteedRef { ring in
                guard let header = ring.headerPage else { return }
                argus_prefetch_write(header)
                let slot = Int(ring.txPtr) + ArgoABI.ringHeaderSize
                if let base = ring.contiguousBase {
                    argus_prefetch_write(base + slot)
                } else if slot >> 12 < ring.mappedPageCount {
                    argus_prefetch_write(ring.pointers[slot >> 12] + (slot & 0xFFF))
                }
            }
        }
    }
}
