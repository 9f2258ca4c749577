/// Destroyed domains that are still referenced.
///
/// In Xen, `domain_kill` runs `argo_destroy` at once, but the domain stays in the domain
/// list (so `rcu_lock_domain_by_id` finds it) and keeps its domid until its reference count
/// drops to zero (`domain_destroy`, then `complete_domain_destroy` frees the domid). Argus
/// models one kind of reference: a device model's hold on the domain it serves
/// (`XEN_DOMCTL_set_target` takes it; the device model's own final destruction drops it in
/// `complete_domain_destroy`). Every other reference a real system may hold (foreign or grant
/// mappings kept by a backend, ...) is represented by ``ArgoHypervisor/releaseDomain(_:)``,
/// which drops them all.
extension ArgoHypervisor {
    /// Whether `domid` names a destroyed domain that is still referenced.
    public func isDying(_ domid: UInt16) -> Bool { domain(domid)?.isDying ?? false }

    /// Dying domids in the order they were destroyed.
    public var dyingDomains: [UInt16] { dyingDomids }

    /// The domains (live or dying) holding a reference on `domid` that Argus models: the
    /// device models whose target it is, ascending.
    public func holders(of domid: UInt16) -> [UInt16] {
        var result: [UInt16] = []
        for holder in liveDomids + dyingDomids.sorted() where holder != domid {
            if domain(holder)?.deviceModelTarget == domid { result.append(holder) }
        }
        return result.sorted()
    }

    /// Drops every reference on a dying domain: its destruction completes and the domid is
    /// free. The device models that held it keep naming that domid as their target (the
    /// engine keeps targets as domids), so a domain created later with the domid is served
    /// by them again, as if the toolstack had set the target anew. Returns the domids whose
    /// destruction completed, in order (none if `domid` was not dying).
    @discardableResult
    public func releaseDomain(_ domid: UInt16) -> [UInt16] {
        guard let domain = domain(domid), domain.isDying else { return [] }
        completeDestruction(domid)
        return [domid] + reapDyingDomains(first: nil)
    }

    /// Completes the destruction of every dying domain nobody holds any more, `first` (if
    /// it is one) before the others, repeating while one completion lets another go.
    func reapDyingDomains(first: UInt16?) -> [UInt16] {
        var freed: [UInt16] = []
        if let first, isDying(first), holders(of: first).isEmpty {
            completeDestruction(first)
            freed.append(first)
        }
        var changed = true
        while changed {
            changed = false
            for domid in dyingDomids where holders(of: domid).isEmpty {
                completeDestruction(domid)
                freed.append(domid)
                changed = true
                break
            }
        }
        return freed
    }

    /// `domain_destroy` through `_domain_destroy`: out of the domain list, domid free.
    private func completeDestruction(_ domid: UInt16) {
        setDomain(nil, at: domid)
        dyingDomids.removeAll { $0 == domid }
    }
}
