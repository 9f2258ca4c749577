// Generated from policy/flask by DefinitionsEmbeddedTextTests; do not edit by hand.
// To refresh after changing policy/flask: ARGUS_RECORD_GOLDEN=1 swift test --filter DefinitionsEmbeddedTextTests

/// The text of `policy/flask/{security_classes,access_vectors,initial_sids}`, embedded so
/// that `FlaskDefinitions.xenDefault` needs no files at run time.
public enum XenDefaultDefinitionText {
    /// `policy/flask/security_classes`.
    public static let securityClasses = #"""
# Security classes of Xen's FLASK security server (Argus's copy).
#
# One "class NAME" per line. Order is significant: Xen numbers the classes
# from 1 in the order listed here, and compiled policies must agree.

class xen
class xen2
class domain
class domain2
class hvm
class mmu
class resource
class shadow
class event
class grant
class security
class version
class argo

"""#

    /// `policy/flask/access_vectors`.
    public static let accessVectors = #"""
# Permissions of each Xen FLASK security class (Argus's copy).
#
# Each block is "class NAME", then "{", one permission per line, then "}".
# Xen gives a class's permissions the bits 1<<0, 1<<1, ... in the order
# listed, so a class holds at most 32. Block order does not matter; the
# class numbers come from security_classes.

# Hypervisor-wide operations (platform ops, sysctls, console) on the xen SID.
class xen
{
    settime
    tbufcontrol
    readconsole
    clearconsole
    perfcontrol
    mtrr_add
    mtrr_del
    mtrr_read
    microcode
    physinfo
    quirk
    writeconsole
    readapic
    writeapic
    kexec
    firmware
    sleep
    frequency
    getidle
    debug
    getcpuinfo
    heap
    pm_op
    mca_op
    lockprof
    cpupool_op
    hypfs_op
    getscheduler
    setscheduler
}

# More hypervisor-wide operations; xen ran out of its 32 permission bits.
class xen2
{
    resource_op
    psr_cmt_op
    psr_alloc
    get_symbol
    pmu_ctrl
    pmu_use
    get_cpu_featureset
    livepatch_op
    coverage_op
    get_dom0_console
}

# Operations one domain performs on another domain, or on itself.
class domain
{
    setvcpucontext
    pause
    unpause
    resume
    create
    transition
    max_vcpus
    destroy
    setaffinity
    getaffinity
    getscheduler
    getdomaininfo
    getvcpuinfo
    getvcpucontext
    setdomainmaxmem
    setdomainhandle
    setdebugging
    hypercall
    settime
    set_target
    shutdown
    setaddrsize
    getaddrsize
    trigger
    getpodtarget
    setpodtarget
    set_misc_info
    set_virq_handler
    getpagingmempool
    setpagingmempool
}

# More domain operations; domain ran out of its 32 permission bits.
class domain2
{
    relabelfrom
    relabelto
    relabelself
    make_priv_for
    set_as_target
    set_cpu_policy
    gettsc
    settsc
    setscheduler
    setclaim
    cacheflush
    create_hardware_domain
    set_vnumainfo
    get_vnumainfo
    psr_cmt_op
    vm_event
    soft_reset
    mem_access
    mem_paging
    mem_sharing
    psr_alloc
    resource_map
    get_cpu_policy
    vuart_op
    dt_overlay
    set_llc_colors
    get_domain_state
}

# Operations on HVM guests: HVM parameters, interrupts, device models.
class hvm
{
    sethvmc
    gethvmc
    setparam
    getparam
    bind_irq
    hvmctl
    mem_sharing
    audit_p2m
    share_mem
    altp2mhvm
    altp2mhvm_op
    dm
}

# Event channels: binding, sending, querying and creating them.
class event
{
    bind
    send
    status
    create
    reset
}

# Grant table operations between domains.
class grant
{
    map_read
    map_write
    unmap
    transfer
    setup
    copy
    query
}

# Memory management: mapping and inspecting other domains' pages.
class mmu
{
    map_read
    map_write
    pageinfo
    adjust
    stat
    updatemp
    physmap
    pinpage
    memorymap
    remote_remap
    mmuext_op
    exchange
    target_hack
}

# Shadow paging control for a domain.
class shadow
{
    disable
    enable
    logdirty
}

# Physical resources: PCI devices, IRQs, I/O ports and memory ranges.
class resource
{
    add
    remove
    use
    use_iommu
    use_iommu_nointremap
    use_noiommu
    add_irq
    remove_irq
    add_ioport
    remove_ioport
    add_iomem
    remove_iomem
    stat_device
    add_device
    remove_device
    plug
    unplug
    setup
}

# The FLASK hypercall itself: queries, policy loading, booleans.
class security
{
    compute_av
    compute_create
    compute_member
    check_context
    load_policy
    compute_relabel
    setenforce
    setbool
    setsecparam
    add_ocontext
    del_ocontext
}

# Which parts of the version hypercall a domain may read.
class version
{
    xen_extraversion
    xen_compile_info
    xen_capabilities
    xen_changeset
    xen_pagesize
    xen_guest_handle
    xen_commandline
    xen_build_id
}

# Argo inter-domain messaging: enabling it, registering rings, sending.
class argo
{
    enable
    register_single_source
    register_any_source
    send
}

"""#

    /// `policy/flask/initial_sids`.
    public static let initialSIDs = #"""
# Initial security identifiers of Xen's FLASK security server (Argus's copy).
#
# One "sid NAME" per line. Xen numbers them from 1 in the order listed; a
# policy gives each one a context with "sid NAME context" statements.

sid xenboot
sid xen
sid dom0
sid domio
sid domxen
sid unlabeled
sid security
sid ioport
sid iomem
sid irq
sid device
sid domU
sid domDM

"""#
}
