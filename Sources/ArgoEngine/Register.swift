extension ArgoHypervisor {
    /// `register_ring`, after the dispatcher's page-count check.
    func registerRing(_ caller: Domain, registerAddress: UInt64, framesAddress: UInt64,
                      pageCount: UInt32, flags: UInt32) throws(XenErrno) -> Int {
        if flags & ~ArgoABI.registerFlagMask != 0 { throw .EINVAL }
        // xen_argo_register_ring_t: aport u32, partner_id u16, pad u16, len u32.
        var raw = (UInt32(0), UInt32(0), UInt32(0))
        try withUnsafeMutableBytes(of: &raw) { (buffer) throws(XenErrno) in
            try caller.memory.read(registerAddress, into: buffer)
        }
        let aport = UInt32(littleEndian: raw.0)
        let partnerID = UInt16(truncatingIfNeeded: UInt32(littleEndian: raw.1))
        let pad = UInt16(truncatingIfNeeded: UInt32(littleEndian: raw.1) >> 16)
        let length = UInt32(littleEndian: raw.2)
        if length < ArgoABI.minRingLength || length > ArgoABI.maxRingSize
            || length != ArgoABI.roundUpToSlot(length)
            || ArgoABI.pagesForRing(length: length) != pageCount || pad != 0 {
            throw .EINVAL
        }
        let id = RingID(owner: caller.domid, aport: aport, partner: partnerID)

        var partner: Domain?
        if partnerID == ArgoABI.domidAny {
            guard settings.macPermissive else { throw .EPERM }
            try checkRegisterAnySource(caller)
        } else {
            guard let found = domain(partnerID) else { throw .ESRCH }
            try checkRegisterSingleSource(caller, partner: found)
            partner = found
        }
        guard let argo = caller.argo else { throw .ENODEV }
        if let partner, partner.argo == nil { throw .ECONNREFUSED }
        if argo.ringCount >= ArgoABI.maxRingsPerDomain { throw .ENOSPC }

        let ring: Ring
        if let existing = argo.findRing(id) {
            if flags & ArgoABI.registerFlagFailExist != 0 { throw .EEXIST }
            if existing.length != length { throw .EEXIST }
            ring = existing
        } else {
            ring = Ring(id: id)
            argo.insertRing(ring)
        }

        do {
            try mapRingFrames(caller, ring, framesAddress: framesAddress, pageCount: Int(pageCount))
        } catch {
            // The ring goes, even one that existed before; its count stays (a leak).
            removeRing(ring, of: argo)
            throw error
        }

        var tx = ring.guestTxPtr
        if tx >= length || ArgoABI.roundUpToSlot(tx) != tx {
            tx = ArgoABI.roundUpToSlot(ring.guestRxPtr)
            if tx >= length { tx = 0 }
            ring.publishTxPtr(tx)
        }
        ring.txPtr = tx
        ring.length = length
        argo.ringCount &+= 1
        if let partner, let partnerArgo = partner.argo {
            partnerArgo.sendBuckets[id.bucket].insert(id, at: 0)
        }
        return 0
    }

    /// `find_ring_mfns`: drop any previous mapping, then take each listed frame.
    private func mapRingFrames(_ caller: Domain, _ ring: Ring, framesAddress: UInt64, pageCount: Int) throws(XenErrno) {
        ring.pages = []
        ring.frames = []
        var pages: [GuestPage] = []
        var frames: [UInt64] = []
        pages.reserveCapacity(pageCount)
        frames.reserveCapacity(pageCount)
        for index in 0 ..< pageCount {
            var gfn: UInt64 = 0
            let entry = framesAddress &+ UInt64(index) &* UInt64(ArgoABI.gfnSize)
            do {
                try withUnsafeMutableBytes(of: &gfn) { (buffer) throws(XenErrno) in try caller.memory.read(entry, into: buffer) }
            } catch {
                throw .EFAULT
            }
            gfn = UInt64(littleEndian: gfn)
            guard let page = caller.memory.page(gfn) else { throw .EINVAL }
            switch page.kind {
            case .ram: break
            case .readOnly: throw .EINVAL
            case .logDirty: throw .EAGAIN
            case .mmio: throw .EPERM
            }
            pages.append(page)
            frames.append(gfn)
        }
        ring.pages = pages
        ring.frames = frames
    }

    /// `ring_remove_info`: drop waits, unlink, release pages. The count is the caller's business.
    func removeRing(_ ring: Ring, of argo: ArgoDomainState) {
        removeAllWaits(ring)
        argo.unlinkRing(ring)
        ring.pages = []
        ring.frames = []
        ring.length = 0
    }

    /// `unregister_ring`.
    func unregisterRing(_ caller: Domain, address: UInt64) throws(XenErrno) -> Int {
        var raw = (UInt32(0), UInt32(0))
        try withUnsafeMutableBytes(of: &raw) { (buffer) throws(XenErrno) in try caller.memory.read(address, into: buffer) }
        let aport = UInt32(littleEndian: raw.0)
        let partnerID = UInt16(truncatingIfNeeded: UInt32(littleEndian: raw.1))
        let pad = UInt16(truncatingIfNeeded: UInt32(littleEndian: raw.1) >> 16)
        if pad != 0 { throw .EINVAL }
        guard let argo = caller.argo else { throw .ENODEV }
        let id = RingID(owner: caller.domid, aport: aport, partner: partnerID)
        guard let ring = argo.findRing(id) else { throw .ENOENT }
        removeRing(ring, of: argo)
        argo.ringCount &-= 1
        if !id.isWildcard, let partnerArgo = domain(partnerID)?.argo {
            let bucket = id.bucket
            if let index = partnerArgo.sendBuckets[bucket].firstIndex(of: id) {
                partnerArgo.sendBuckets[bucket].remove(at: index)
            }
        }
        return 0
    }

    /// `argo_destroy` / `argo_soft_reset` body: the domain's rings, the rings
    /// whose only sender it is, and its waits on wildcard rings.
    func tearDown(_ domain: Domain) {
        guard let argo = domain.argo else { return }
        // domain_rings_remove_all
        for bucket in 0 ..< 32 {
            while let ring = argo.ringBuckets[bucket].first { removeRing(ring, of: argo) }
        }
        argo.ringCount = 0
        // partner_rings_remove
        for bucket in 0 ..< 32 {
            for id in argo.sendBuckets[bucket] {
                guard let ownerArgo = self.domain(id.owner)?.argo, let ring = ownerArgo.findRing(id) else { continue }
                removeRing(ring, of: ownerArgo)
                ownerArgo.ringCount &-= 1
            }
            argo.sendBuckets[bucket].removeAll()
        }
        // wildcard_rings_pending_remove (the upstream intent; see ARGO-QUIRKS.md)
        for wait in argo.wildcardWaits {
            let ring = wait.ring
            if let index = ring.pending.firstIndex(where: { $0 === wait }) { ring.pending.remove(at: index) }
        }
        argo.wildcardWaits.removeAll()
    }
}
