import CXenArgo
import Testing
@testable import ArgoEngine

/// Our constants and layouts against Debian's <xen/argo.h>.
@Suite struct ABITests {
    @Test func structSizes() {
        #expect(argus_sizeof_iov() == ArgoABI.iovSize)
        #expect(argus_sizeof_addr() == ArgoABI.addrSize)
        #expect(argus_sizeof_send_addr() == ArgoABI.sendAddrSize)
        #expect(argus_sizeof_ring() == ArgoABI.ringHeaderSize)
        #expect(argus_sizeof_register_ring() == ArgoABI.registerRingSize)
        #expect(argus_sizeof_unregister_ring() == ArgoABI.unregisterRingSize)
        #expect(argus_sizeof_ring_data_ent() == ArgoABI.ringDataEntrySize)
        #expect(argus_sizeof_ring_data() == ArgoABI.ringDataSize)
        #expect(argus_sizeof_message_header() == ArgoABI.messageHeaderSize)
        #expect(argus_sizeof_gfn() == ArgoABI.gfnSize)
        #expect(argus_sizeof_port() == 4)
    }

    @Test func fieldOffsets() {
        // xen_argo_iov: handle, len, pad (the 64-bit layout; compat moves len to 4).
        #expect(argus_offsetof_iov_iov_len() == 8)
        #expect(argus_offsetof_iov_pad() == 12)
        #expect(argus_offsetof_addr_aport() == 0)
        #expect(argus_offsetof_addr_domain_id() == 4)
        #expect(argus_offsetof_addr_pad() == 6)
        #expect(argus_offsetof_send_addr_src() == 0)
        #expect(argus_offsetof_send_addr_dst() == 8)
        #expect(argus_offsetof_ring_rx_ptr() == ArgoABI.ringRxPtrOffset)
        #expect(argus_offsetof_ring_tx_ptr() == ArgoABI.ringTxPtrOffset)
        #expect(argus_offsetof_ring_reserved() == 8)
        #expect(argus_offsetof_ring_ring() == ArgoABI.ringHeaderSize)
        #expect(argus_offsetof_register_ring_aport() == 0)
        #expect(argus_offsetof_register_ring_partner_id() == 4)
        #expect(argus_offsetof_register_ring_pad() == 6)
        #expect(argus_offsetof_register_ring_len() == 8)
        #expect(argus_offsetof_unregister_ring_aport() == 0)
        #expect(argus_offsetof_unregister_ring_partner_id() == 4)
        #expect(argus_offsetof_unregister_ring_pad() == 6)
        #expect(argus_offsetof_ring_data_ent_ring() == 0)
        #expect(argus_offsetof_ring_data_ent_flags() == ArgoABI.ringDataEntryFlagsOffset)
        #expect(argus_offsetof_ring_data_ent_pad() == 10)
        #expect(argus_offsetof_ring_data_ent_space_required() == ArgoABI.ringDataEntrySpaceRequiredOffset)
        #expect(argus_offsetof_ring_data_ent_max_message_size() == ArgoABI.ringDataEntryMaxMessageSizeOffset)
        #expect(argus_offsetof_ring_data_nent() == 0)
        #expect(argus_offsetof_ring_data_pad() == 4)
        #expect(argus_offsetof_ring_data_data() == ArgoABI.ringDataSize)
        #expect(argus_offsetof_message_header_len() == 0)
        #expect(argus_offsetof_message_header_source() == 4)
        #expect(argus_offsetof_message_header_message_type() == 12)
        #expect(argus_offsetof_message_header_data() == ArgoABI.messageHeaderSize)
    }

    @Test func constants() {
        #expect(argus_domid_any() == UInt32(ArgoABI.domidAny))
        #expect(argus_domid_first_reserved() == UInt32(ArgoABI.domidFirstReserved))
        #expect(argus_domid_self() == UInt32(ArgoABI.domidSelf))
        #expect(argus_domid_io() == UInt32(ArgoABI.domidIO))
        #expect(argus_domid_xen() == UInt32(ArgoABI.domidXen))
        #expect(argus_domid_cow() == UInt32(ArgoABI.domidCOW))
        #expect(argus_domid_idle() == UInt32(ArgoABI.domidIdle))
        #expect(argus_max_ring_size() == UInt64(ArgoABI.maxRingSize))
        #expect(argus_maxiov() == UInt32(ArgoABI.maxIOV))
        #expect(argus_msg_slot_size() == ArgoABI.slotSize)
        #expect(argus_ring_exists() == UInt32(ArgoABI.ringExists))
        #expect(argus_ring_shared() == UInt32(ArgoABI.ringShared))
        #expect(argus_ring_empty() == UInt32(ArgoABI.ringEmpty))
        #expect(argus_ring_sufficient() == UInt32(ArgoABI.ringSufficient))
        #expect(argus_ring_emsgsize() == UInt32(ArgoABI.ringEMsgSize))
        #expect(argus_ring_ebusy() == UInt32(ArgoABI.ringEBusy))
        #expect(argus_op_register_ring() == ArgoABI.opRegisterRing)
        #expect(argus_op_unregister_ring() == ArgoABI.opUnregisterRing)
        #expect(argus_op_sendv() == ArgoABI.opSendv)
        #expect(argus_op_notify() == ArgoABI.opNotify)
        #expect(argus_register_flag_fail_exist() == ArgoABI.registerFlagFailExist)
        #expect(argus_virq_argo() == UInt32(ArgoABI.virqArgo))
    }

    @Test func errnoValues() {
        let pairs: [(XenErrno, Int32)] = [
            (.EPERM, argus_errno_EPERM()), (.ENOENT, argus_errno_ENOENT()), (.ESRCH, argus_errno_ESRCH()),
            (.EAGAIN, argus_errno_EAGAIN()), (.ENOMEM, argus_errno_ENOMEM()), (.EACCES, argus_errno_EACCES()),
            (.EFAULT, argus_errno_EFAULT()), (.EBUSY, argus_errno_EBUSY()), (.EEXIST, argus_errno_EEXIST()),
            (.ENODEV, argus_errno_ENODEV()), (.EINVAL, argus_errno_EINVAL()), (.ENOSPC, argus_errno_ENOSPC()),
            (.ENOSYS, argus_errno_ENOSYS()), (.EMSGSIZE, argus_errno_EMSGSIZE()),
            (.EOPNOTSUPP, argus_errno_EOPNOTSUPP()), (.ECONNREFUSED, argus_errno_ECONNREFUSED()),
        ]
        #expect(pairs.count == XenErrno.allCases.count)
        for (errno, value) in pairs { #expect(errno.rawValue == value, "\(errno)") }
    }

    @Test func derivedLimits() {
        #expect(ArgoABI.maxMessageSize == 0xFF_FFE0)
        #expect(ArgoABI.pagesForRing(length: 4032) == 1)
        #expect(ArgoABI.pagesForRing(length: 4048) == 2)
        #expect(ArgoABI.pagesForRing(length: ArgoABI.maxRingSize) == 4097)
        #expect(ArgoABI.roundUpToSlot(0xFFFF_FFF1) == 0)
    }
}
