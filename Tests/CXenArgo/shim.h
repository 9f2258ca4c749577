// Exposes Xen's public Argo ABI from Debian's libxen-dev (<xen/argo.h>) to the
// ABI test as plain functions: struct sizes, field offsets and constants.
#ifndef ARGUS_CXENARGO_SHIM_H
#define ARGUS_CXENARGO_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/argo.h>
#include <xen/errno.h>

#define ARGUS_SIZE(name, type) static inline size_t argus_sizeof_##name(void) { return sizeof(type); }
#define ARGUS_OFFSET(name, type, field) \
    static inline size_t argus_offsetof_##name##_##field(void) { return offsetof(type, field); }

ARGUS_SIZE(iov, xen_argo_iov_t)
ARGUS_OFFSET(iov, xen_argo_iov_t, iov_len)
ARGUS_OFFSET(iov, xen_argo_iov_t, pad)

ARGUS_SIZE(addr, xen_argo_addr_t)
ARGUS_OFFSET(addr, xen_argo_addr_t, aport)
ARGUS_OFFSET(addr, xen_argo_addr_t, domain_id)
ARGUS_OFFSET(addr, xen_argo_addr_t, pad)

ARGUS_SIZE(send_addr, xen_argo_send_addr_t)
ARGUS_OFFSET(send_addr, xen_argo_send_addr_t, src)
ARGUS_OFFSET(send_addr, xen_argo_send_addr_t, dst)

ARGUS_SIZE(ring, xen_argo_ring_t)
ARGUS_OFFSET(ring, xen_argo_ring_t, rx_ptr)
ARGUS_OFFSET(ring, xen_argo_ring_t, tx_ptr)
ARGUS_OFFSET(ring, xen_argo_ring_t, reserved)
ARGUS_OFFSET(ring, xen_argo_ring_t, ring)

ARGUS_SIZE(register_ring, xen_argo_register_ring_t)
ARGUS_OFFSET(register_ring, xen_argo_register_ring_t, aport)
ARGUS_OFFSET(register_ring, xen_argo_register_ring_t, partner_id)
ARGUS_OFFSET(register_ring, xen_argo_register_ring_t, pad)
ARGUS_OFFSET(register_ring, xen_argo_register_ring_t, len)

ARGUS_SIZE(unregister_ring, xen_argo_unregister_ring_t)
ARGUS_OFFSET(unregister_ring, xen_argo_unregister_ring_t, aport)
ARGUS_OFFSET(unregister_ring, xen_argo_unregister_ring_t, partner_id)
ARGUS_OFFSET(unregister_ring, xen_argo_unregister_ring_t, pad)

ARGUS_SIZE(ring_data_ent, xen_argo_ring_data_ent_t)
ARGUS_OFFSET(ring_data_ent, xen_argo_ring_data_ent_t, ring)
ARGUS_OFFSET(ring_data_ent, xen_argo_ring_data_ent_t, flags)
ARGUS_OFFSET(ring_data_ent, xen_argo_ring_data_ent_t, pad)
ARGUS_OFFSET(ring_data_ent, xen_argo_ring_data_ent_t, space_required)
ARGUS_OFFSET(ring_data_ent, xen_argo_ring_data_ent_t, max_message_size)

ARGUS_SIZE(ring_data, xen_argo_ring_data_t)
ARGUS_OFFSET(ring_data, xen_argo_ring_data_t, nent)
ARGUS_OFFSET(ring_data, xen_argo_ring_data_t, pad)
ARGUS_OFFSET(ring_data, xen_argo_ring_data_t, data)

ARGUS_SIZE(message_header, struct xen_argo_ring_message_header)
ARGUS_OFFSET(message_header, struct xen_argo_ring_message_header, len)
ARGUS_OFFSET(message_header, struct xen_argo_ring_message_header, source)
ARGUS_OFFSET(message_header, struct xen_argo_ring_message_header, message_type)
ARGUS_OFFSET(message_header, struct xen_argo_ring_message_header, data)

static inline size_t argus_sizeof_gfn(void) { return sizeof(xen_argo_gfn_t); }
static inline size_t argus_sizeof_port(void) { return sizeof(xen_argo_port_t); }

static inline uint32_t argus_domid_any(void) { return XEN_ARGO_DOMID_ANY; }
static inline uint32_t argus_domid_first_reserved(void) { return DOMID_FIRST_RESERVED; }
static inline uint32_t argus_domid_self(void) { return DOMID_SELF; }
static inline uint32_t argus_domid_io(void) { return DOMID_IO; }
static inline uint32_t argus_domid_xen(void) { return DOMID_XEN; }
static inline uint32_t argus_domid_cow(void) { return DOMID_COW; }
static inline uint32_t argus_domid_idle(void) { return DOMID_IDLE; }
static inline uint64_t argus_max_ring_size(void) { return XEN_ARGO_MAX_RING_SIZE; }
static inline uint32_t argus_maxiov(void) { return XEN_ARGO_MAXIOV; }
static inline uint32_t argus_msg_slot_size(void) { return XEN_ARGO_MSG_SLOT_SIZE; }
static inline uint32_t argus_ring_exists(void) { return XEN_ARGO_RING_EXISTS; }
static inline uint32_t argus_ring_shared(void) { return XEN_ARGO_RING_SHARED; }
static inline uint32_t argus_ring_empty(void) { return XEN_ARGO_RING_EMPTY; }
static inline uint32_t argus_ring_sufficient(void) { return XEN_ARGO_RING_SUFFICIENT; }
static inline uint32_t argus_ring_emsgsize(void) { return XEN_ARGO_RING_EMSGSIZE; }
static inline uint32_t argus_ring_ebusy(void) { return XEN_ARGO_RING_EBUSY; }
static inline uint32_t argus_op_register_ring(void) { return XEN_ARGO_OP_register_ring; }
static inline uint32_t argus_op_unregister_ring(void) { return XEN_ARGO_OP_unregister_ring; }
static inline uint32_t argus_op_sendv(void) { return XEN_ARGO_OP_sendv; }
static inline uint32_t argus_op_notify(void) { return XEN_ARGO_OP_notify; }
static inline uint32_t argus_register_flag_fail_exist(void) { return XEN_ARGO_REGISTER_FLAG_FAIL_EXIST; }
static inline uint32_t argus_virq_argo(void) { return VIRQ_ARGO; }

#define ARGUS_ERRNO(name) static inline int argus_errno_##name(void) { return XEN_##name; }
ARGUS_ERRNO(EPERM) ARGUS_ERRNO(ENOENT) ARGUS_ERRNO(ESRCH) ARGUS_ERRNO(EAGAIN) ARGUS_ERRNO(ENOMEM)
ARGUS_ERRNO(EACCES) ARGUS_ERRNO(EFAULT) ARGUS_ERRNO(EBUSY) ARGUS_ERRNO(EEXIST) ARGUS_ERRNO(ENODEV)
ARGUS_ERRNO(EINVAL) ARGUS_ERRNO(ENOSPC) ARGUS_ERRNO(ENOSYS) ARGUS_ERRNO(EMSGSIZE) ARGUS_ERRNO(EOPNOTSUPP)
ARGUS_ERRNO(ECONNREFUSED)

#endif
