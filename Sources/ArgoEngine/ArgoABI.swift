/// Xen's public Argo ABI (`xen/include/public/argo.h`) as constants and byte
/// offsets. All multi-byte fields are little-endian (x86).
public enum ArgoABI {
    public static let pageSize = 4096
    public static let pageShift = 12

    /// `XEN_ARGO_DOMID_ANY` (`DOMID_INVALID`).
    public static let domidAny: UInt16 = 0x7FF4
    /// `DOMID_FIRST_RESERVED`: domids at or above this are not ordinary domains.
    public static let domidFirstReserved: UInt16 = 0x7FF0
    public static let domidSelf: UInt16 = 0x7FF0
    public static let domidIO: UInt16 = 0x7FF1
    public static let domidXen: UInt16 = 0x7FF2
    public static let domidCOW: UInt16 = 0x7FF3
    public static let domidIdle: UInt16 = 0x7FFF

    /// `XEN_ARGO_MAX_RING_SIZE`.
    public static let maxRingSize: UInt32 = 0x100_0000
    /// `XEN_ARGO_MAXIOV`.
    public static let maxIOV = 8
    /// `XEN_ARGO_MSG_SLOT_SIZE`.
    public static let slotSize: UInt32 = 0x10

    public static let opRegisterRing: UInt32 = 1
    public static let opUnregisterRing: UInt32 = 2
    public static let opSendv: UInt32 = 3
    public static let opNotify: UInt32 = 4
    /// OpenXT's firewall ops (`argo-add-viptables.patch`), only in an `openxt` Xen.
    public static let opVIPTablesAdd: UInt32 = 6
    public static let opVIPTablesDel: UInt32 = 7
    public static let opVIPTablesList: UInt32 = 8
    /// `XEN_ARGO_PORT_ANY` (OpenXT's argo.h): a firewall rule's wildcard port.
    public static let portAny: UInt32 = 0xFFFF_FFFF

    /// `XEN_ARGO_REGISTER_FLAG_FAIL_EXIST`; also the whole accepted flag mask.
    public static let registerFlagFailExist: UInt32 = 0x1
    public static let registerFlagMask: UInt32 = 0x1

    // notify flags (xen_argo_ring_data_ent.flags)
    public static let ringExists: UInt16 = 1 << 0
    public static let ringShared: UInt16 = 1 << 1
    public static let ringEmpty: UInt16 = 1 << 2
    public static let ringSufficient: UInt16 = 1 << 3
    public static let ringEMsgSize: UInt16 = 1 << 4
    public static let ringEBusy: UInt16 = 1 << 5

    /// `VIRQ_ARGO`.
    public static let virqArgo = 11

    // Limits private to argo.c.
    public static let maxRingsPerDomain: UInt32 = 128
    public static let maxNotifyCount: UInt32 = 256
    public static let maxPendingPerRing: UInt32 = 32
    /// Largest message on the largest ring: max ring size - header - one slot.
    public static let maxMessageSize: UInt32 = maxRingSize - 16 - 16
    /// Smallest ring: header plus two slots.
    public static let minRingLength: UInt32 = 16 + 16 + 16

    // Struct sizes.
    public static let ringHeaderSize = 64          // xen_argo_ring_t
    public static let messageHeaderSize = 16       // xen_argo_ring_message_header
    public static let addrSize = 8                 // xen_argo_addr_t
    public static let sendAddrSize = 16            // xen_argo_send_addr_t
    public static let iovSize = 16                 // xen_argo_iov_t (64-bit guest)
    public static let compatIOVSize = 12           // compat_argo_iov_t (32-bit guest)
    public static let registerRingSize = 12        // xen_argo_register_ring_t
    public static let unregisterRingSize = 8       // xen_argo_unregister_ring_t
    public static let ringDataSize = 8             // xen_argo_ring_data_t header
    public static let ringDataEntrySize = 20       // xen_argo_ring_data_ent_t
    public static let gfnSize = 8                  // xen_argo_gfn_t

    // Offsets inside the structs.
    public static let ringRxPtrOffset = 0
    public static let ringTxPtrOffset = 4
    public static let ringDataEntryFlagsOffset = 8
    public static let ringDataEntrySpaceRequiredOffset = 12
    public static let ringDataEntryMaxMessageSizeOffset = 16

    /// `ROUNDUP_MESSAGE`: round up to the slot size, in 32-bit arithmetic as Xen does.
    @inlinable
    public static func roundUpToSlot(_ value: UInt32) -> UInt32 { (value &+ 15) & ~15 }

    /// `NPAGES_RING`: pages needed for a ring of `length` bytes (header included).
    @inlinable
    public static func pagesForRing(length: UInt32) -> UInt32 {
        let bytes = UInt64(roundUpToSlot(length)) + UInt64(ringHeaderSize)
        return UInt32((bytes + 4095) >> 12)
    }
}
