// Every change to Xen's own FLASK definitions (xen/xsm/flask/policy/{security_classes,
// access_vectors,initial_sids}) from RELEASE-4.12.0, the first release with Argo, to
// upstream master, oldest first. The definitions of a release are `xenDefault` (master)
// with every change the release does not contain undone, newest first; see
// XenReleaseDefinitions.swift and docs/DEFINITIONS.md.
//
// Read from the tags and the stable branches of xen-project/xen. Facts checked:
// - `security_classes` is the same 13 classes in every release and on master.
// - A change counts from the first tag that has it; `backports` names the first point
//   release of each older branch that has it. Commits that only touched comments are
//   not listed (they change no number).
// - stable-4.17 took get_dom0_console and reverted it before 4.17.5 (9cef774004,
//   3c7c9225ff): no 4.17 tag has it, so it is not a backport here.
// - No stable branch holds a definitions change beyond its newest tag.

extension FlaskDefinitions {
    /// Where `xen(release:)` gets the changes it undoes: every change to Xen's definitions
    /// since 4.12.0, oldest first.
    public static let xenDefinitionHistory: [XenDefinitionChange] = [
        XenDefinitionChange(
            .removePermissions(class: "xen", ["tmem_op", "tmem_control"], after: "cpupool_op"),
            since: "4.13.0", commits: ["c492e19fdd"],
            reason: "tmem removed from the hypervisor; getscheduler and every later xen bit move down by 2"),
        XenDefinitionChange(
            .renamePermission(class: "domain2", from: "set_cpuid", to: "set_cpu_policy"),
            since: "4.13.0", commits: ["14ba07e6f8", "6df43b32ab"],
            reason: "XEN_DOMCTL_set_cpuid replaced by XEN_DOMCTL_set_cpu_policy; the bit is unchanged"),
        XenDefinitionChange(
            .addPermissions(class: "xen", ["hypfs_op"], after: "cpupool_op"),
            since: "4.14.0", commits: ["5b5ccafb0c"],
            reason: "hypervisor file system hypercall; every later xen bit moves up by 1"),
        XenDefinitionChange(
            .removePermissions(class: "xen2", ["set_parameter"], after: "coverage_op"),
            since: "4.14.0", commits: ["02e9a9cf20"],
            reason: "XEN_SYSCTL_set_parameter dropped (it was the last xen2 bit)"),
        XenDefinitionChange(
            .removePermissions(class: "hvm", ["nested"], after: "share_mem"),
            since: "4.15.0", commits: ["3600118a52"],
            reason: "the nested-HVM param check dropped; every later hvm bit moves down by 1"),
        XenDefinitionChange(
            .insertInitialSID("xenboot", before: "xen"),
            since: "4.17.0", commits: ["a0bb0960e5"],
            reason: "a SID for the hypervisor while it boots; xen moves from 1 to 2, every SID after it up by 1"),
        XenDefinitionChange(
            .addPermissions(class: "domain", ["getpagingmempool", "setpagingmempool"], after: "set_virq_handler"),
            since: "4.17.0", commits: ["345135942b"],
            reason: "paging mempool size domctls (appended)"),
        XenDefinitionChange(
            .addPermissions(class: "xen2", ["get_dom0_console"], after: "coverage_op"),
            since: "4.19.0", backports: ["4.18.3"], commits: ["647f7e50eb", "026542c857"],
            reason: "XENPF_get_dom0_console (appended)"),
        XenDefinitionChange(
            .addPermissions(class: "domain2", ["vuart_op"], after: "get_cpu_policy"),
            since: "4.20.0", backports: ["4.18.5", "4.19.2"], commits: ["29daa72e40", "4dce231463", "30a8d910ca"],
            reason: "XEN_DOMCTL_vuart_op (appended)"),
        XenDefinitionChange(
            .addPermissions(class: "domain2", ["dt_overlay"], after: "vuart_op"),
            since: "4.20.0", backports: ["4.19.2"], commits: ["7fa1411676", "e7f96aa3f3"],
            reason: "XEN_DOMCTL_dt_overlay (appended)"),
        XenDefinitionChange(
            .addPermissions(class: "domain2", ["set_llc_colors"], after: "dt_overlay"),
            since: "4.20.0", commits: ["83a4dade0f"],
            reason: "XEN_DOMCTL_set_llc_colors (appended)"),
        XenDefinitionChange(
            .addPermissions(class: "domain2", ["get_domain_state"], after: "set_llc_colors"),
            since: "4.21.0", commits: ["3ad3df1bd0"],
            reason: "XEN_DOMCTL_get_domain_state (appended)"),
        XenDefinitionChange(
            .removePermissions(class: "xen", ["privprofile", "nonprivprofile"], after: "writeapic"),
            since: "4.22.0", commits: ["69e8aaf9cc"],
            reason: "xenoprof removed; kexec and every later xen bit move down by 2"),
        XenDefinitionChange(
            .removePermissions(class: "xen2", ["get_cpu_levelling_caps"], after: "pmu_use"),
            since: "4.22.0", commits: ["370c23d032"],
            reason: "XEN_SYSCTL_get_cpu_levelling_caps dropped; every later xen2 bit moves down by 1"),
    ]
}
