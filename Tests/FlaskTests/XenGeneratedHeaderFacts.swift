import Testing

/// Facts read from the headers Xen's build generates (flask.h, initial_sid_to_string.h,
/// av_permissions.h, by xen/xsm/flask/policy/mkflask.sh and mkaccess_vector.sh) at every
/// RELEASE-x.y.z tag from 4.12.0 to 4.22.0 and at master ("head", c447b7308b, 2026-08-20).
/// The scripts were run from each tag's own tree in a scratch directory; releases whose
/// headers are identical share one entry.
///
/// `digest` is FNV-1a (64 bits) over the lines "NAME VALUE\n" of every macro of flask.h and
/// av_permissions.h (SECCLASS_*, SECINITSID_*, SECINITSID_NUM, CLASS__PERM), VALUE in
/// decimal (a permission's mask, not its bit number), lines sorted by byte order;
/// `macroCount` is how many there are. `macros` picks values that moved between releases.
struct HeaderFacts: Sendable, CustomTestStringConvertible {
    var releases: [String]
    /// initial_sid_to_string.h after "null": SECINITSID_<NAME> is the position from 1.
    var initialSIDs: [String]
    /// Number of CLASS__PERM macros per class in av_permissions.h.
    var permissionCounts: [String: Int]
    var macros: [String: UInt32]
    var macroCount: Int
    var digest: UInt64

    var testDescription: String { releases.first! + "..." + releases.last! }
}

enum XenGeneratedHeaderFacts {
    /// In flask.h at every tag: security_classes never changed.
    static let classes = [
        "xen", "xen2", "domain", "domain2", "hvm", "mmu", "resource",
        "shadow", "event", "grant", "security", "version", "argo",
    ]

    static let all: [HeaderFacts] = [
        HeaderFacts(
            releases: ["4.12.0", "4.12.1", "4.12.2", "4.12.3", "4.12.4"],
            initialSIDs: ["xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 32, "xen2": 11, "domain": 28, "domain2": 23, "hvm": 13, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XEN": 1, "SECINITSID_DOMU": 11, "SECINITSID_NUM": 12, "SECCLASS_ARGO": 13,
                "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8, "XEN__WRITEAPIC": 0x2000,
                "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000, "XEN__GETSCHEDULER": 0x40000000,
                "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80, "XEN2__COVERAGE_OP": 0x200,
                "DOMAIN__SET_VIRQ_HANDLER": 0x8000000, "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100,
                "HVM__NESTED": 0x200, "HVM__ALTP2MHVM": 0x400, "XEN__PRIVPROFILE": 0x4000, "XEN__TMEM_OP": 0x10000000,
                "XEN__TMEM_CONTROL": 0x20000000, "XEN2__GET_CPU_LEVELLING_CAPS": 0x40, "XEN2__SET_PARAMETER": 0x400,
                "DOMAIN2__SET_CPUID": 0x20],
            macroCount: 202, digest: 0xDD3403E5AB4ECF1C),
        HeaderFacts(
            releases: ["4.13.0", "4.13.1", "4.13.2", "4.13.3", "4.13.4", "4.13.5"],
            initialSIDs: ["xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 30, "xen2": 11, "domain": 28, "domain2": 23, "hvm": 13, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XEN": 1, "SECINITSID_DOMU": 11, "SECINITSID_NUM": 12, "SECCLASS_ARGO": 13,
                "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8, "XEN__WRITEAPIC": 0x2000,
                "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000, "XEN__GETSCHEDULER": 0x10000000,
                "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80, "XEN2__COVERAGE_OP": 0x200,
                "DOMAIN__SET_VIRQ_HANDLER": 0x8000000, "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100,
                "HVM__NESTED": 0x200, "HVM__ALTP2MHVM": 0x400, "XEN__PRIVPROFILE": 0x4000,
                "XEN2__GET_CPU_LEVELLING_CAPS": 0x40, "XEN2__SET_PARAMETER": 0x400, "DOMAIN2__SET_CPU_POLICY": 0x20],
            macroCount: 200, digest: 0xE75AC03272CE6D86),
        HeaderFacts(
            releases: ["4.14.0", "4.14.1", "4.14.2", "4.14.3", "4.14.4", "4.14.5", "4.14.6"],
            initialSIDs: ["xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 31, "xen2": 10, "domain": 28, "domain2": 23, "hvm": 13, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XEN": 1, "SECINITSID_DOMU": 11, "SECINITSID_NUM": 12, "SECCLASS_ARGO": 13,
                "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8, "XEN__WRITEAPIC": 0x2000,
                "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000, "XEN__GETSCHEDULER": 0x20000000,
                "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80, "XEN2__COVERAGE_OP": 0x200,
                "DOMAIN__SET_VIRQ_HANDLER": 0x8000000, "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100,
                "HVM__NESTED": 0x200, "HVM__ALTP2MHVM": 0x400, "XEN__PRIVPROFILE": 0x4000,
                "XEN__HYPFS_OP": 0x10000000, "XEN2__GET_CPU_LEVELLING_CAPS": 0x40, "DOMAIN2__SET_CPU_POLICY": 0x20],
            macroCount: 200, digest: 0xC22D94E98E8F7E66),
        HeaderFacts(
            releases: ["4.15.0", "4.15.1", "4.15.2", "4.15.3", "4.15.4", "4.15.5", "4.15.6", "4.15.7", "4.16.0", "4.16.1", "4.16.2", "4.16.3", "4.16.4", "4.16.5", "4.16.6", "4.16.7"],
            initialSIDs: ["xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 31, "xen2": 10, "domain": 28, "domain2": 23, "hvm": 12, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XEN": 1, "SECINITSID_DOMU": 11, "SECINITSID_NUM": 12, "SECCLASS_ARGO": 13,
                "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8, "XEN__WRITEAPIC": 0x2000,
                "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000, "XEN__GETSCHEDULER": 0x20000000,
                "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80, "XEN2__COVERAGE_OP": 0x200,
                "DOMAIN__SET_VIRQ_HANDLER": 0x8000000, "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100,
                "HVM__ALTP2MHVM": 0x200, "XEN__PRIVPROFILE": 0x4000, "XEN__HYPFS_OP": 0x10000000,
                "XEN2__GET_CPU_LEVELLING_CAPS": 0x40, "DOMAIN2__SET_CPU_POLICY": 0x20],
            macroCount: 199, digest: 0xDF5FEBBA1D448D7B),
        HeaderFacts(
            releases: ["4.17.0", "4.17.1", "4.17.2", "4.17.3", "4.17.4", "4.17.5", "4.17.6", "4.17.7", "4.18.0", "4.18.1", "4.18.2"],
            initialSIDs: ["xenboot", "xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 31, "xen2": 10, "domain": 30, "domain2": 23, "hvm": 12, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XENBOOT": 1, "SECINITSID_XEN": 2, "SECINITSID_DOMU": 12, "SECINITSID_NUM": 13,
                "SECCLASS_ARGO": 13, "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8,
                "XEN__WRITEAPIC": 0x2000, "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000,
                "XEN__GETSCHEDULER": 0x20000000, "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80,
                "XEN2__COVERAGE_OP": 0x200, "DOMAIN__SET_VIRQ_HANDLER": 0x8000000,
                "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100, "HVM__ALTP2MHVM": 0x200,
                "XEN__PRIVPROFILE": 0x4000, "XEN__HYPFS_OP": 0x10000000, "XEN2__GET_CPU_LEVELLING_CAPS": 0x40,
                "DOMAIN__GETPAGINGMEMPOOL": 0x10000000, "DOMAIN__SETPAGINGMEMPOOL": 0x20000000,
                "DOMAIN2__SET_CPU_POLICY": 0x20],
            macroCount: 202, digest: 0x1ECA1A30E2553B2B),
        HeaderFacts(
            releases: ["4.18.3", "4.18.4", "4.19.0", "4.19.1"],
            initialSIDs: ["xenboot", "xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 31, "xen2": 11, "domain": 30, "domain2": 23, "hvm": 12, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XENBOOT": 1, "SECINITSID_XEN": 2, "SECINITSID_DOMU": 12, "SECINITSID_NUM": 13,
                "SECCLASS_ARGO": 13, "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8,
                "XEN__WRITEAPIC": 0x2000, "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000,
                "XEN__GETSCHEDULER": 0x20000000, "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80,
                "XEN2__COVERAGE_OP": 0x200, "DOMAIN__SET_VIRQ_HANDLER": 0x8000000,
                "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100, "HVM__ALTP2MHVM": 0x200,
                "XEN__PRIVPROFILE": 0x4000, "XEN__HYPFS_OP": 0x10000000, "XEN2__GET_CPU_LEVELLING_CAPS": 0x40,
                "XEN2__GET_DOM0_CONSOLE": 0x400, "DOMAIN__GETPAGINGMEMPOOL": 0x10000000,
                "DOMAIN__SETPAGINGMEMPOOL": 0x20000000, "DOMAIN2__SET_CPU_POLICY": 0x20],
            macroCount: 203, digest: 0x2755EBFC6D12D7B8),
        HeaderFacts(
            releases: ["4.18.5", "4.18.6"],
            initialSIDs: ["xenboot", "xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 31, "xen2": 11, "domain": 30, "domain2": 24, "hvm": 12, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XENBOOT": 1, "SECINITSID_XEN": 2, "SECINITSID_DOMU": 12, "SECINITSID_NUM": 13,
                "SECCLASS_ARGO": 13, "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8,
                "XEN__WRITEAPIC": 0x2000, "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000,
                "XEN__GETSCHEDULER": 0x20000000, "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80,
                "XEN2__COVERAGE_OP": 0x200, "DOMAIN__SET_VIRQ_HANDLER": 0x8000000,
                "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100, "HVM__ALTP2MHVM": 0x200,
                "XEN__PRIVPROFILE": 0x4000, "XEN__HYPFS_OP": 0x10000000, "XEN2__GET_CPU_LEVELLING_CAPS": 0x40,
                "XEN2__GET_DOM0_CONSOLE": 0x400, "DOMAIN__GETPAGINGMEMPOOL": 0x10000000,
                "DOMAIN__SETPAGINGMEMPOOL": 0x20000000, "DOMAIN2__SET_CPU_POLICY": 0x20,
                "DOMAIN2__VUART_OP": 0x800000],
            macroCount: 204, digest: 0xA46378945D3464A9),
        HeaderFacts(
            releases: ["4.19.2", "4.19.3", "4.19.4", "4.19.5", "4.19.6"],
            initialSIDs: ["xenboot", "xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 31, "xen2": 11, "domain": 30, "domain2": 25, "hvm": 12, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XENBOOT": 1, "SECINITSID_XEN": 2, "SECINITSID_DOMU": 12, "SECINITSID_NUM": 13,
                "SECCLASS_ARGO": 13, "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8,
                "XEN__WRITEAPIC": 0x2000, "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000,
                "XEN__GETSCHEDULER": 0x20000000, "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80,
                "XEN2__COVERAGE_OP": 0x200, "DOMAIN__SET_VIRQ_HANDLER": 0x8000000,
                "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100, "HVM__ALTP2MHVM": 0x200,
                "XEN__PRIVPROFILE": 0x4000, "XEN__HYPFS_OP": 0x10000000, "XEN2__GET_CPU_LEVELLING_CAPS": 0x40,
                "XEN2__GET_DOM0_CONSOLE": 0x400, "DOMAIN__GETPAGINGMEMPOOL": 0x10000000,
                "DOMAIN__SETPAGINGMEMPOOL": 0x20000000, "DOMAIN2__SET_CPU_POLICY": 0x20,
                "DOMAIN2__VUART_OP": 0x800000, "DOMAIN2__DT_OVERLAY": 0x1000000],
            macroCount: 205, digest: 0xE312FFAA479EFE61),
        HeaderFacts(
            releases: ["4.20.0", "4.20.1", "4.20.2", "4.20.3", "4.20.4"],
            initialSIDs: ["xenboot", "xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 31, "xen2": 11, "domain": 30, "domain2": 26, "hvm": 12, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XENBOOT": 1, "SECINITSID_XEN": 2, "SECINITSID_DOMU": 12, "SECINITSID_NUM": 13,
                "SECCLASS_ARGO": 13, "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8,
                "XEN__WRITEAPIC": 0x2000, "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000,
                "XEN__GETSCHEDULER": 0x20000000, "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80,
                "XEN2__COVERAGE_OP": 0x200, "DOMAIN__SET_VIRQ_HANDLER": 0x8000000,
                "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100, "HVM__ALTP2MHVM": 0x200,
                "XEN__PRIVPROFILE": 0x4000, "XEN__HYPFS_OP": 0x10000000, "XEN2__GET_CPU_LEVELLING_CAPS": 0x40,
                "XEN2__GET_DOM0_CONSOLE": 0x400, "DOMAIN__GETPAGINGMEMPOOL": 0x10000000,
                "DOMAIN__SETPAGINGMEMPOOL": 0x20000000, "DOMAIN2__SET_CPU_POLICY": 0x20,
                "DOMAIN2__VUART_OP": 0x800000, "DOMAIN2__DT_OVERLAY": 0x1000000, "DOMAIN2__SET_LLC_COLORS": 0x2000000],
            macroCount: 206, digest: 0xD25BF838E0A79645),
        HeaderFacts(
            releases: ["4.21.0", "4.21.1", "4.21.2"],
            initialSIDs: ["xenboot", "xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 31, "xen2": 11, "domain": 30, "domain2": 27, "hvm": 12, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XENBOOT": 1, "SECINITSID_XEN": 2, "SECINITSID_DOMU": 12, "SECINITSID_NUM": 13,
                "SECCLASS_ARGO": 13, "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8,
                "XEN__WRITEAPIC": 0x2000, "XEN__KEXEC": 0x10000, "XEN__CPUPOOL_OP": 0x8000000,
                "XEN__GETSCHEDULER": 0x20000000, "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x80,
                "XEN2__COVERAGE_OP": 0x200, "DOMAIN__SET_VIRQ_HANDLER": 0x8000000,
                "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100, "HVM__ALTP2MHVM": 0x200,
                "XEN__PRIVPROFILE": 0x4000, "XEN__HYPFS_OP": 0x10000000, "XEN2__GET_CPU_LEVELLING_CAPS": 0x40,
                "XEN2__GET_DOM0_CONSOLE": 0x400, "DOMAIN__GETPAGINGMEMPOOL": 0x10000000,
                "DOMAIN__SETPAGINGMEMPOOL": 0x20000000, "DOMAIN2__SET_CPU_POLICY": 0x20,
                "DOMAIN2__VUART_OP": 0x800000, "DOMAIN2__DT_OVERLAY": 0x1000000, "DOMAIN2__SET_LLC_COLORS": 0x2000000,
                "DOMAIN2__GET_DOMAIN_STATE": 0x4000000],
            macroCount: 207, digest: 0x73376881FCA70DF0),
        HeaderFacts(
            releases: ["4.22.0", "head"],
            initialSIDs: ["xenboot", "xen", "dom0", "domio", "domxen", "unlabeled", "security", "ioport", "iomem", "irq", "device", "domU", "domDM"],
            permissionCounts: ["xen": 29, "xen2": 10, "domain": 30, "domain2": 27, "hvm": 12, "event": 5, "grant": 7, "mmu": 13, "shadow": 3, "resource": 18, "security": 11, "version": 8, "argo": 4],
            macros: [
                "SECINITSID_XENBOOT": 1, "SECINITSID_XEN": 2, "SECINITSID_DOMU": 12, "SECINITSID_NUM": 13,
                "SECCLASS_ARGO": 13, "SECCLASS_VERSION": 12, "ARGO__ENABLE": 0x1, "ARGO__SEND": 0x8,
                "XEN__WRITEAPIC": 0x2000, "XEN__KEXEC": 0x4000, "XEN__CPUPOOL_OP": 0x2000000,
                "XEN__GETSCHEDULER": 0x8000000, "XEN2__PMU_USE": 0x20, "XEN2__GET_CPU_FEATURESET": 0x40,
                "XEN2__COVERAGE_OP": 0x100, "DOMAIN__SET_VIRQ_HANDLER": 0x8000000,
                "DOMAIN2__GET_CPU_POLICY": 0x400000, "HVM__SHARE_MEM": 0x100, "HVM__ALTP2MHVM": 0x200,
                "XEN__HYPFS_OP": 0x4000000, "XEN2__GET_DOM0_CONSOLE": 0x200, "DOMAIN__GETPAGINGMEMPOOL": 0x10000000,
                "DOMAIN__SETPAGINGMEMPOOL": 0x20000000, "DOMAIN2__SET_CPU_POLICY": 0x20,
                "DOMAIN2__VUART_OP": 0x800000, "DOMAIN2__DT_OVERLAY": 0x1000000, "DOMAIN2__SET_LLC_COLORS": 0x2000000,
                "DOMAIN2__GET_DOMAIN_STATE": 0x4000000],
            macroCount: 204, digest: 0x7FFB2D7C20345F1B),
    ]
}
