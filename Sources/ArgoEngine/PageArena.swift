import Foundation

/// Where guest pages live in host memory: page-aligned runs carved from large anonymous
/// mappings, so that a block of n guest pages costs exactly n host pages once touched, and
/// nothing before (the kernel's zero page stands behind every untouched page).
///
/// A `malloc`-family allocation needs a page of slack to align a block, and the allocator's
/// own headers land on it: a two-page ring held three resident pages. Freed runs are handed
/// back to the kernel (`MADV_DONTNEED`, after which they read as zeros) and kept on a list by
/// length for the next block of that length, so destroying and recreating domains reuses the
/// same address space. Runs longer than a region are mapped on their own and unmapped when
/// freed. Shared by every hypervisor in the process (tests run in parallel): one lock.
final class PageArena: @unchecked Sendable {
    static let shared = PageArena()

    /// Each region is this many pages (64 MiB) of address space, reserved, not committed.
    static let regionPages = 16384

    private let lock = NSLock()
    /// Unused pages at the end of the newest region.
    private var cursor: UnsafeMutableRawPointer?
    private var pagesLeft = 0
    /// Freed runs by page count, ready to reuse (already zero).
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]

    private static func map(pages: Int) -> UnsafeMutableRawPointer {
        let memory = mmap(nil, pages * ArgoABI.pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let memory, memory != MAP_FAILED else { fatalError("out of host address space backing \(pages) guest pages") }
        return memory
    }

    /// `pages` zero-filled, page-aligned pages.
    func allocate(pages: Int) -> UnsafeMutableRawPointer {
        precondition(pages > 0)
        if pages > Self.regionPages { return Self.map(pages: pages) }
        lock.lock()
        defer { lock.unlock() }
        if let reused = free[pages]?.popLast() { return reused }
        if pagesLeft < pages {
            // The rest of the old region stays unused (never touched, so it costs no memory).
            cursor = Self.map(pages: Self.regionPages)
            madvise(cursor, Self.regionPages * ArgoABI.pageSize, MADV_HUGEPAGE)
            pagesLeft = Self.regionPages
        }
        let block = cursor!
        cursor = block.advanced(by: pages * ArgoABI.pageSize)
        pagesLeft -= pages
        return block
    }

    /// Gives back a run from ``allocate(pages:)``: its memory goes back to the kernel.
    func release(_ block: UnsafeMutableRawPointer, pages: Int) {
        if pages > Self.regionPages {
            munmap(block, pages * ArgoABI.pageSize)
            return
        }
        madvise(block, pages * ArgoABI.pageSize, MADV_DONTNEED)
        lock.lock()
        defer { lock.unlock() }
        free[pages, default: []].append(block)
    }
}
