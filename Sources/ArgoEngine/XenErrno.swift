/// An error number as Xen's public `errno.h` defines it (the values a hypercall
/// returns negated). Only the values the Argo paths can produce, plus a few
/// neighbours that make traces readable, are named here.
public enum XenErrno: Int32, Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Operation not permitted: a wildcard ring without `mac-permissive`, a
    /// foreign source address, a SILO refusal, an MMIO frame.
    case EPERM = 1
    /// No such ring to unregister.
    case ENOENT = 2
    /// No such domain (unknown partner or destination).
    case ESRCH = 3
    /// Try again: a ring without room for the message (the sender is queued
    /// for a space notification), or a frame in log-dirty mode.
    case EAGAIN = 11
    /// Out of memory (a mapping failure that cannot happen in the simulator's
    /// consistent state, kept for completeness).
    case ENOMEM = 12
    /// Permission denied: a FLASK denial, or more than 256 notify entries.
    case EACCES = 13
    /// Bad address: guest memory the hypervisor could not read or write.
    case EFAULT = 14
    /// Resource busy: the ring already has 32 pending space notifications.
    case EBUSY = 16
    /// The ring already exists (FAIL_EXIST, or a different length).
    case EEXIST = 17
    /// The calling domain has no Argo state.
    case ENODEV = 19
    /// Invalid argument: bad widths, flags, pads, lengths or frames.
    case EINVAL = 22
    /// The domain already has 128 rings counted.
    case ENOSPC = 28
    /// Function not implemented (Argo compiled out).
    case ENOSYS = 38
    /// Message too large for the ring or for Argo.
    case EMSGSIZE = 90
    /// Argo disabled at boot, or an unknown operation.
    case EOPNOTSUPP = 95
    /// The destination has no Argo state, or no ring matches.
    case ECONNREFUSED = 111

    /// The name, e.g. `EINVAL`.
    public var name: String {
        switch self {
        case .EPERM: "EPERM"
        case .ENOENT: "ENOENT"
        case .ESRCH: "ESRCH"
        case .EAGAIN: "EAGAIN"
        case .ENOMEM: "ENOMEM"
        case .EACCES: "EACCES"
        case .EFAULT: "EFAULT"
        case .EBUSY: "EBUSY"
        case .EEXIST: "EEXIST"
        case .ENODEV: "ENODEV"
        case .EINVAL: "EINVAL"
        case .ENOSPC: "ENOSPC"
        case .ENOSYS: "ENOSYS"
        case .EMSGSIZE: "EMSGSIZE"
        case .EOPNOTSUPP: "EOPNOTSUPP"
        case .ECONNREFUSED: "ECONNREFUSED"
        }
    }

    public var description: String { name }

    /// The errno with this name (`EINVAL`), if it is one of ours.
    public init?(name: String) {
        guard let match = XenErrno.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    /// The hypercall return value for this error: the negated errno.
    public var hypercallReturn: Int64 { -Int64(rawValue) }
}
