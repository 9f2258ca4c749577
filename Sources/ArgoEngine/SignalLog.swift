/// The domids signalled with VIRQ_ARGO since the last drain, in delivery order.
///
/// A block of memory the log grows itself: an array's append checked that its buffer was not
/// shared and had room, a runtime call on every signal, and every delivered message signals.
/// The owner (the hypervisor, which never copies it) calls ``deallocate()``.
struct SignalLog {
    private var storage: UnsafeMutablePointer<UInt16>
    private var capacity: Int
    private(set) var count = 0

    init() {
        capacity = 64
        storage = .allocate(capacity: capacity)
    }

    func deallocate() { storage.deallocate() }

    @inline(__always)
    mutating func append(_ domid: UInt16) {
        if count == capacity { grow() }
        (storage + count).initialize(to: domid)
        count &+= 1
    }

    private mutating func grow() {
        let larger = UnsafeMutablePointer<UInt16>.allocate(capacity: capacity * 2)
        larger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity *= 2
    }

    /// The entries, oldest first.
    var entries: [UInt16] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    /// Forgets the entries (the memory stays for the next ones).
    mutating func removeAll() { count = 0 }
}
