/* Xen FLASK definitions as Xen's build numbers them: security classes, */
/* initial SIDs and permission bits. Written by `argus defs --format c`. */
#ifndef ARGUS_FLASK_DEFINITIONS_H
#define ARGUS_FLASK_DEFINITIONS_H

/* Security classes, numbered from 1 in security_classes order. */
#define SECCLASS_XEN                                     1
#define SECCLASS_XEN2                                    2
#define SECCLASS_DOMAIN                                  3
#define SECCLASS_DOMAIN2                                 4
#define SECCLASS_HVM                                     5
#define SECCLASS_MMU                                     6
#define SECCLASS_RESOURCE                                7
#define SECCLASS_SHADOW                                  8
#define SECCLASS_EVENT                                   9
#define SECCLASS_GRANT                                   10
#define SECCLASS_SECURITY                                11
#define SECCLASS_VERSION                                 12
#define SECCLASS_ARGO                                    13

/* Initial SIDs, numbered from 1 in initial_sids order. */
#define SECINITSID_XENBOOT                              1
#define SECINITSID_XEN                                  2
#define SECINITSID_DOM0                                 3
#define SECINITSID_DOMIO                                4
#define SECINITSID_DOMXEN                               5
#define SECINITSID_UNLABELED                            6
#define SECINITSID_SECURITY                             7
#define SECINITSID_IOPORT                               8
#define SECINITSID_IOMEM                                9
#define SECINITSID_IRQ                                  10
#define SECINITSID_DEVICE                               11
#define SECINITSID_DOMU                                 12
#define SECINITSID_DOMDM                                13

#define SECINITSID_NUM                                  13

/* Permission bits of each class, in access_vectors order. */
#define XEN__SETTIME                              (1UL << 0)
#define XEN__TBUFCONTROL                          (1UL << 1)
#define XEN__READCONSOLE                          (1UL << 2)
#define XEN__CLEARCONSOLE                         (1UL << 3)
#define XEN__PERFCONTROL                          (1UL << 4)
#define XEN__MTRR_ADD                             (1UL << 5)
#define XEN__MTRR_DEL                             (1UL << 6)
#define XEN__MTRR_READ                            (1UL << 7)
#define XEN__MICROCODE                            (1UL << 8)
#define XEN__PHYSINFO                             (1UL << 9)
#define XEN__QUIRK                                (1UL << 10)
#define XEN__WRITECONSOLE                         (1UL << 11)
#define XEN__READAPIC                             (1UL << 12)
#define XEN__WRITEAPIC                            (1UL << 13)
#define XEN__KEXEC                                (1UL << 14)
#define XEN__FIRMWARE                             (1UL << 15)
#define XEN__SLEEP                                (1UL << 16)
#define XEN__FREQUENCY                            (1UL << 17)
#define XEN__GETIDLE                              (1UL << 18)
#define XEN__DEBUG                                (1UL << 19)
#define XEN__GETCPUINFO                           (1UL << 20)
#define XEN__HEAP                                 (1UL << 21)
#define XEN__PM_OP                                (1UL << 22)
#define XEN__MCA_OP                               (1UL << 23)
#define XEN__LOCKPROF                             (1UL << 24)
#define XEN__CPUPOOL_OP                           (1UL << 25)
#define XEN__HYPFS_OP                             (1UL << 26)
#define XEN__GETSCHEDULER                         (1UL << 27)
#define XEN__SETSCHEDULER                         (1UL << 28)

#define XEN2__RESOURCE_OP                         (1UL << 0)
#define XEN2__PSR_CMT_OP                          (1UL << 1)
#define XEN2__PSR_ALLOC                           (1UL << 2)
#define XEN2__GET_SYMBOL                          (1UL << 3)
#define XEN2__PMU_CTRL                            (1UL << 4)
#define XEN2__PMU_USE                             (1UL << 5)
#define XEN2__GET_CPU_FEATURESET                  (1UL << 6)
#define XEN2__LIVEPATCH_OP                        (1UL << 7)
#define XEN2__COVERAGE_OP                         (1UL << 8)
#define XEN2__GET_DOM0_CONSOLE                    (1UL << 9)

#define DOMAIN__SETVCPUCONTEXT                    (1UL << 0)
#define DOMAIN__PAUSE                             (1UL << 1)
#define DOMAIN__UNPAUSE                           (1UL << 2)
#define DOMAIN__RESUME                            (1UL << 3)
#define DOMAIN__CREATE                            (1UL << 4)
#define DOMAIN__TRANSITION                        (1UL << 5)
#define DOMAIN__MAX_VCPUS                         (1UL << 6)
#define DOMAIN__DESTROY                           (1UL << 7)
#define DOMAIN__SETAFFINITY                       (1UL << 8)
#define DOMAIN__GETAFFINITY                       (1UL << 9)
#define DOMAIN__GETSCHEDULER                      (1UL << 10)
#define DOMAIN__GETDOMAININFO                     (1UL << 11)
#define DOMAIN__GETVCPUINFO                       (1UL << 12)
#define DOMAIN__GETVCPUCONTEXT                    (1UL << 13)
#define DOMAIN__SETDOMAINMAXMEM                   (1UL << 14)
#define DOMAIN__SETDOMAINHANDLE                   (1UL << 15)
#define DOMAIN__SETDEBUGGING                      (1UL << 16)
#define DOMAIN__HYPERCALL                         (1UL << 17)
#define DOMAIN__SETTIME                           (1UL << 18)
#define DOMAIN__SET_TARGET                        (1UL << 19)
#define DOMAIN__SHUTDOWN                          (1UL << 20)
#define DOMAIN__SETADDRSIZE                       (1UL << 21)
#define DOMAIN__GETADDRSIZE                       (1UL << 22)
#define DOMAIN__TRIGGER                           (1UL << 23)
#define DOMAIN__GETPODTARGET                      (1UL << 24)
#define DOMAIN__SETPODTARGET                      (1UL << 25)
#define DOMAIN__SET_MISC_INFO                     (1UL << 26)
#define DOMAIN__SET_VIRQ_HANDLER                  (1UL << 27)
#define DOMAIN__GETPAGINGMEMPOOL                  (1UL << 28)
#define DOMAIN__SETPAGINGMEMPOOL                  (1UL << 29)

#define DOMAIN2__RELABELFROM                      (1UL << 0)
#define DOMAIN2__RELABELTO                        (1UL << 1)
#define DOMAIN2__RELABELSELF                      (1UL << 2)
#define DOMAIN2__MAKE_PRIV_FOR                    (1UL << 3)
#define DOMAIN2__SET_AS_TARGET                    (1UL << 4)
#define DOMAIN2__SET_CPU_POLICY                   (1UL << 5)
#define DOMAIN2__GETTSC                           (1UL << 6)
#define DOMAIN2__SETTSC                           (1UL << 7)
#define DOMAIN2__SETSCHEDULER                     (1UL << 8)
#define DOMAIN2__SETCLAIM                         (1UL << 9)
#define DOMAIN2__CACHEFLUSH                       (1UL << 10)
#define DOMAIN2__CREATE_HARDWARE_DOMAIN           (1UL << 11)
#define DOMAIN2__SET_VNUMAINFO                    (1UL << 12)
#define DOMAIN2__GET_VNUMAINFO                    (1UL << 13)
#define DOMAIN2__PSR_CMT_OP                       (1UL << 14)
#define DOMAIN2__VM_EVENT                         (1UL << 15)
#define DOMAIN2__SOFT_RESET                       (1UL << 16)
#define DOMAIN2__MEM_ACCESS                       (1UL << 17)
#define DOMAIN2__MEM_PAGING                       (1UL << 18)
#define DOMAIN2__MEM_SHARING                      (1UL << 19)
#define DOMAIN2__PSR_ALLOC                        (1UL << 20)
#define DOMAIN2__RESOURCE_MAP                     (1UL << 21)
#define DOMAIN2__GET_CPU_POLICY                   (1UL << 22)
#define DOMAIN2__VUART_OP                         (1UL << 23)
#define DOMAIN2__DT_OVERLAY                       (1UL << 24)
#define DOMAIN2__SET_LLC_COLORS                   (1UL << 25)
#define DOMAIN2__GET_DOMAIN_STATE                 (1UL << 26)

#define HVM__SETHVMC                              (1UL << 0)
#define HVM__GETHVMC                              (1UL << 1)
#define HVM__SETPARAM                             (1UL << 2)
#define HVM__GETPARAM                             (1UL << 3)
#define HVM__BIND_IRQ                             (1UL << 4)
#define HVM__HVMCTL                               (1UL << 5)
#define HVM__MEM_SHARING                          (1UL << 6)
#define HVM__AUDIT_P2M                            (1UL << 7)
#define HVM__SHARE_MEM                            (1UL << 8)
#define HVM__ALTP2MHVM                            (1UL << 9)
#define HVM__ALTP2MHVM_OP                         (1UL << 10)
#define HVM__DM                                   (1UL << 11)

#define EVENT__BIND                               (1UL << 0)
#define EVENT__SEND                               (1UL << 1)
#define EVENT__STATUS                             (1UL << 2)
#define EVENT__CREATE                             (1UL << 3)
#define EVENT__RESET                              (1UL << 4)

#define GRANT__MAP_READ                           (1UL << 0)
#define GRANT__MAP_WRITE                          (1UL << 1)
#define GRANT__UNMAP                              (1UL << 2)
#define GRANT__TRANSFER                           (1UL << 3)
#define GRANT__SETUP                              (1UL << 4)
#define GRANT__COPY                               (1UL << 5)
#define GRANT__QUERY                              (1UL << 6)

#define MMU__MAP_READ                             (1UL << 0)
#define MMU__MAP_WRITE                            (1UL << 1)
#define MMU__PAGEINFO                             (1UL << 2)
#define MMU__ADJUST                               (1UL << 3)
#define MMU__STAT                                 (1UL << 4)
#define MMU__UPDATEMP                             (1UL << 5)
#define MMU__PHYSMAP                              (1UL << 6)
#define MMU__PINPAGE                              (1UL << 7)
#define MMU__MEMORYMAP                            (1UL << 8)
#define MMU__REMOTE_REMAP                         (1UL << 9)
#define MMU__MMUEXT_OP                            (1UL << 10)
#define MMU__EXCHANGE                             (1UL << 11)
#define MMU__TARGET_HACK                          (1UL << 12)

#define SHADOW__DISABLE                           (1UL << 0)
#define SHADOW__ENABLE                            (1UL << 1)
#define SHADOW__LOGDIRTY                          (1UL << 2)

#define RESOURCE__ADD                             (1UL << 0)
#define RESOURCE__REMOVE                          (1UL << 1)
#define RESOURCE__USE                             (1UL << 2)
#define RESOURCE__USE_IOMMU                       (1UL << 3)
#define RESOURCE__USE_IOMMU_NOINTREMAP            (1UL << 4)
#define RESOURCE__USE_NOIOMMU                     (1UL << 5)
#define RESOURCE__ADD_IRQ                         (1UL << 6)
#define RESOURCE__REMOVE_IRQ                      (1UL << 7)
#define RESOURCE__ADD_IOPORT                      (1UL << 8)
#define RESOURCE__REMOVE_IOPORT                   (1UL << 9)
#define RESOURCE__ADD_IOMEM                       (1UL << 10)
#define RESOURCE__REMOVE_IOMEM                    (1UL << 11)
#define RESOURCE__STAT_DEVICE                     (1UL << 12)
#define RESOURCE__ADD_DEVICE                      (1UL << 13)
#define RESOURCE__REMOVE_DEVICE                   (1UL << 14)
#define RESOURCE__PLUG                            (1UL << 15)
#define RESOURCE__UNPLUG                          (1UL << 16)
#define RESOURCE__SETUP                           (1UL << 17)

#define SECURITY__COMPUTE_AV                      (1UL << 0)
#define SECURITY__COMPUTE_CREATE                  (1UL << 1)
#define SECURITY__COMPUTE_MEMBER                  (1UL << 2)
#define SECURITY__CHECK_CONTEXT                   (1UL << 3)
#define SECURITY__LOAD_POLICY                     (1UL << 4)
#define SECURITY__COMPUTE_RELABEL                 (1UL << 5)
#define SECURITY__SETENFORCE                      (1UL << 6)
#define SECURITY__SETBOOL                         (1UL << 7)
#define SECURITY__SETSECPARAM                     (1UL << 8)
#define SECURITY__ADD_OCONTEXT                    (1UL << 9)
#define SECURITY__DEL_OCONTEXT                    (1UL << 10)

#define VERSION__XEN_EXTRAVERSION                 (1UL << 0)
#define VERSION__XEN_COMPILE_INFO                 (1UL << 1)
#define VERSION__XEN_CAPABILITIES                 (1UL << 2)
#define VERSION__XEN_CHANGESET                    (1UL << 3)
#define VERSION__XEN_PAGESIZE                     (1UL << 4)
#define VERSION__XEN_GUEST_HANDLE                 (1UL << 5)
#define VERSION__XEN_COMMANDLINE                  (1UL << 6)
#define VERSION__XEN_BUILD_ID                     (1UL << 7)

#define ARGO__ENABLE                              (1UL << 0)
#define ARGO__REGISTER_SINGLE_SOURCE              (1UL << 1)
#define ARGO__REGISTER_ANY_SOURCE                 (1UL << 2)
#define ARGO__SEND                                (1UL << 3)

#endif /* ARGUS_FLASK_DEFINITIONS_H */
