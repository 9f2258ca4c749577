import Foundation

/// What the second-stage page tables say about a guest frame, as far as Argo
/// cares (`find_ring_mfn`).
public enum GuestFrameKind: Sendable, Hashable {
    /// Ordinary writable RAM (`p2m_ram_rw`): usable as a ring page.
    case ram
    /// Read-only RAM (`p2m_ram_ro`): registering it fails with EINVAL; the
    /// guest's own writes land, hypervisor copies to it are discarded.
    case readOnly
    /// RAM in log-dirty mode during migration (`p2m_ram_logdirty`): registering
    /// it fails with EAGAIN.
    case logDirty
    /// Directly mapped MMIO (`p2m_mmio_direct`): registering it fails with EPERM, and a copy
    /// from or to it faults like a hole (there is no RAM page behind it: `__hvm_copy` gets
    /// `HVMTRANS_bad_gfn_to_mfn`).
    case mmio
}

/// Host memory backing one or more consecutive guest pages, allocated on first use (a page
/// nobody wrote to reads as zeros and costs nothing). The pages come from ``PageArena``:
/// page-aligned, zero-filled, and resident only once touched.
final class PageBlock {
    private(set) var base: UnsafeMutableRawPointer?
    let pageCount: Int

    init(pageCount: Int) { self.pageCount = pageCount }

    var isBacked: Bool { base != nil }

    /// The block's memory, allocating it (zero-filled, page-aligned like real guest pages, so
    /// ring slots sit on the same cache-line offsets) on the first call.
    func backing() -> UnsafeMutableRawPointer {
        if let base { return base }
        let memory = PageArena.shared.allocate(pages: pageCount)
        base = memory
        return memory
    }

    deinit {
        if let base { PageArena.shared.release(base, pages: pageCount) }
    }
}

/// One 4 KiB guest page: its memory is allocated on the first write (or when the hypervisor
/// maps it into a ring) and keeps a stable address from then on.
@usableFromInline
final class GuestPage {
    @usableFromInline var kind: GuestFrameKind
    /// Keeps the backing memory alive.
    let block: PageBlock
    let index: Int

    init(kind: GuestFrameKind, block: PageBlock = PageBlock(pageCount: 1), index: Int = 0) {
        self.block = block
        self.index = index
        self.kind = kind
    }

    /// The page's memory, allocated (zero-filled) if nothing was written yet.
    @usableFromInline var bytes: UnsafeMutableRawPointer { block.backing().advanced(by: index * ArgoABI.pageSize) }

    /// The page's memory if it has any; nil for a page that reads as zeros.
    var bytesIfBacked: UnsafeMutableRawPointer? { block.base?.advanced(by: index * ArgoABI.pageSize) }
}

/// A domain's guest-physical memory: 4 KiB pages keyed by guest frame number.
///
/// Guest addresses are guest-physical (`gfn << 12 | offset`), as for an HVM
/// guest running with paging off: every hypercall argument pointer is one of
/// these. Reads and writes that touch an unpopulated (or MMIO) frame fail with EFAULT
/// after copying whatever came before the hole, as Xen's `copy_*_guest` does.
public final class GuestMemory {
    private var pages: [UInt64: GuestPage] = [:] {
        didSet { lastFrame = nil }
    }
    /// The page the last lookup found: copies and typed loads and stores mostly stay on one
    /// page (hypercall arguments, a ring header), so this saves a dictionary lookup per copy.
    /// Cleared whenever `pages` changes.
    private var lastFrame: (gfn: UInt64, page: GuestPage)?

    public init() {}

    /// The page backing `gfn`, through the one-entry cache.
    @inline(__always)
    private func lookup(_ gfn: UInt64) -> GuestPage? {
        if let lastFrame, lastFrame.gfn == gfn { return lastFrame.page }
        guard let page = pages[gfn] else { return nil }
        lastFrame = (gfn, page)
        return page
    }

    /// Populates `gfn` (zero-filled) if it is not already; returns false if it was.
    @discardableResult
    public func populate(_ gfn: UInt64, kind: GuestFrameKind = .ram) -> Bool {
        if let page = pages[gfn] {
            page.kind = kind
            return false
        }
        pages[gfn] = GuestPage(kind: kind)
        return true
    }

    /// Populates `count` frames from `first` with one contiguous host block
    /// (frames already present keep their own memory).
    public func populateRange(first: UInt64, count: Int, kind: GuestFrameKind = .ram) {
        guard count > 0 else { return }
        if (0 ..< UInt64(count)).contains(where: { pages[first + $0] != nil }) {
            for offset in 0 ..< UInt64(count) { populate(first + offset, kind: kind) }
            return
        }
        let block = PageBlock(pageCount: count)
        for index in 0 ..< count { pages[first + UInt64(index)] = GuestPage(kind: kind, block: block, index: index) }
    }

    /// Removes a frame from the guest (its contents are gone; rings that hold it
    /// keep their own reference, as Xen keeps a page reference).
    public func depopulate(_ gfn: UInt64) { pages[gfn] = nil }

    public func isPopulated(_ gfn: UInt64) -> Bool { pages[gfn] != nil }
    public func kind(of gfn: UInt64) -> GuestFrameKind? { pages[gfn]?.kind }
    public var populatedFrames: [UInt64] { pages.keys.sorted() }

    @usableFromInline
    func page(_ gfn: UInt64) -> GuestPage? { lookup(gfn) }

    /// Copies guest bytes at `address` into `destination`. Throws EFAULT at the
    /// first unpopulated frame (bytes before it are copied).
    public func read(_ address: UInt64, into destination: UnsafeMutableRawBufferPointer) throws(XenErrno) {
        var address = address
        var done = 0
        let total = destination.count
        while done < total {
            guard let page = lookup(address >> 12), page.kind != .mmio else { throw .EFAULT }
            let offset = Int(address & 0xFFF)
            let chunk = min(ArgoABI.pageSize - offset, total - done)
            if let bytes = page.bytesIfBacked {
                destination.baseAddress!.advanced(by: done).copyMemory(from: bytes.advanced(by: offset), byteCount: chunk)
            } else {
                destination.baseAddress!.advanced(by: done).initializeMemory(as: UInt8.self, repeating: 0, count: chunk)
            }
            done += chunk
            let (next, wrapped) = address.addingReportingOverflow(UInt64(chunk))
            if wrapped && done < total { throw .EFAULT }
            address = next
        }
    }

    /// Copies `source` into guest memory at `address` (a guest-side write, or a
    /// hypervisor `copy_to_guest` when `byHypervisor`, which read-only frames
    /// silently discard). Throws EFAULT at the first unpopulated frame.
    public func write(_ address: UInt64, from source: UnsafeRawBufferPointer, byHypervisor: Bool = false) throws(XenErrno) {
        var address = address
        var done = 0
        let total = source.count
        while done < total {
            guard let page = lookup(address >> 12), page.kind != .mmio else { throw .EFAULT }
            let offset = Int(address & 0xFFF)
            let chunk = min(ArgoABI.pageSize - offset, total - done)
            if !(byHypervisor && page.kind == .readOnly) {
                let from = source.baseAddress!.advanced(by: done)
                // Zeros on a page that reads as zeros change nothing: it stays unallocated.
                if page.bytesIfBacked != nil || !UnsafeRawBufferPointer(start: from, count: chunk).allSatisfy({ $0 == 0 }) {
                    page.bytes.advanced(by: offset).copyMemory(from: from, byteCount: chunk)
                }
            }
            done += chunk
            let (next, wrapped) = address.addingReportingOverflow(UInt64(chunk))
            if wrapped && done < total { throw .EFAULT }
            address = next
        }
    }

    /// Writes `count` zero bytes at `address` (a guest-side write) without allocating pages
    /// that already read as zeros. Throws EFAULT at the first unpopulated frame.
    public func fillZeros(_ address: UInt64, count: Int) throws(XenErrno) {
        var address = address
        var done = 0
        while done < count {
            guard let page = lookup(address >> 12), page.kind != .mmio else { throw .EFAULT }
            let offset = Int(address & 0xFFF)
            let chunk = min(ArgoABI.pageSize - offset, count - done)
            page.bytesIfBacked?.advanced(by: offset).initializeMemory(as: UInt8.self, repeating: 0, count: chunk)
            done += chunk
            let (next, wrapped) = address.addingReportingOverflow(UInt64(chunk))
            if wrapped && done < count { throw .EFAULT }
            address = next
        }
    }

    /// Host bytes backing this guest's pages (pages never written cost nothing).
    public var backedByteCount: Int {
        var blocks = Set<ObjectIdentifier>()
        var total = 0
        for page in pages.values where page.block.isBacked && blocks.insert(ObjectIdentifier(page.block)).inserted {
            total += page.block.pageCount * ArgoABI.pageSize
        }
        return total
    }

    // Typed little-endian helpers for guest-side code and tests.

    public func readBytes(_ address: UInt64, count: Int) throws(XenErrno) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var failure: XenErrno?
        result.withUnsafeMutableBytes { buffer in
            do throws(XenErrno) { try read(address, into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }

    public func writeBytes(_ address: UInt64, _ bytes: [UInt8]) throws(XenErrno) {
        var failure: XenErrno?
        bytes.withUnsafeBytes { buffer in
            do throws(XenErrno) { try write(address, from: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public func load32(_ address: UInt64) throws(XenErrno) -> UInt32 {
        var value: UInt32 = 0
        try withUnsafeMutableBytes(of: &value) { (buffer) throws(XenErrno) in try read(address, into: buffer) }
        return UInt32(littleEndian: value)
    }

    public func load64(_ address: UInt64) throws(XenErrno) -> UInt64 {
        var value: UInt64 = 0
        try withUnsafeMutableBytes(of: &value) { (buffer) throws(XenErrno) in try read(address, into: buffer) }
        return UInt64(littleEndian: value)
    }

    public func store32(_ address: UInt64, byHypervisor: Bool = false, _ value: UInt32) throws(XenErrno) {
        var little = value.littleEndian
        try withUnsafeBytes(of: &little) { (buffer) throws(XenErrno) in try write(address, from: buffer, byHypervisor: byHypervisor) }
    }

    public func store16(_ address: UInt64, byHypervisor: Bool = false, _ value: UInt16) throws(XenErrno) {
        var little = value.littleEndian
        try withUnsafeBytes(of: &little) { (buffer) throws(XenErrno) in try write(address, from: buffer, byHypervisor: byHypervisor) }
    }

    public func store64(_ address: UInt64, byHypervisor: Bool = false, _ value: UInt64) throws(XenErrno) {
        var little = value.littleEndian
        try withUnsafeBytes(of: &little) { (buffer) throws(XenErrno) in try write(address, from: buffer, byHypervisor: byHypervisor) }
    }
}
