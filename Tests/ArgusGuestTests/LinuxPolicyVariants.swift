/// Small Linux policy.conf texts for the differential tests, written by hand: each exercises
/// a part of the decision the example policy does not (or not enough).
enum LinuxPolicyVariants {
    struct Variant {
        var name: String
        var text: String
        /// Levels of the object contexts compared ([nil]: no MLS).
        var levels: [String?]
        var booleanSettings: [[String: Bool]]
    }

    static let all: [Variant] = [withoutMLS, multiCategory]

    static let header = """
        class security
        class process
        class file
        class chr_file
        sid kernel
        sid security
        common file { ioctl read write create getattr setattr lock relabelfrom relabelto append map unlink link rename execute open }
        class security { compute_av }
        class process { fork transition sigchld signal getattr dyntransition }
        class file inherits file { entrypoint }
        class chr_file inherits file

        """

    /// No MLS: type bounds, an if/else pair on two booleans, a role constraint, auditallow and
    /// dontaudit, a permissive type, a process type found only by its `process` rules.
    static let withoutMLS = Variant(name: "without MLS", text: header + """
        attribute domain;
        attribute trusted;
        attribute argo_dev;
        bool allow_reader true;
        bool lock_down false;
        type kernel_t, domain;
        type parent_t, domain;
        type child_t, domain;
        typebounds parent_t child_t;
        type reader_t, domain;
        type trusted_t, domain, trusted;
        type loose_t, domain;
        type helper_t;
        type argo_stream_t, argo_dev;
        type argo_dgram_t, argo_dev;
        type other_dev_t;
        type security_t;
        permissive loose_t;
        allow parent_t argo_dev:chr_file { open read write ioctl getattr };
        allow child_t argo_stream_t:chr_file { open read getattr };
        allow trusted_t argo_dev:chr_file { open read write ioctl };
        auditallow trusted_t argo_stream_t:chr_file write;
        dontaudit reader_t other_dev_t:chr_file { open read };
        if (allow_reader && !lock_down) {
            allow reader_t argo_stream_t:chr_file { open read };
        } else {
            allow reader_t argo_dgram_t:chr_file { open };
        }
        if (lock_down) {
            allow loose_t argo_dev:chr_file getattr;
        }
        allow helper_t self:process { fork sigchld };
        allow domain self:process { fork signal };
        role system_r;
        role staff_r;
        role system_r types { domain helper_t };
        role staff_r types { reader_t loose_t };
        user system_u roles { system_r };
        user staff_u roles { staff_r };
        constrain chr_file { write ioctl } ( r1 == system_r or t1 == trusted );
        constrain chr_file { open } ( u1 == u2 or r1 != staff_r );
        sid kernel system_u:system_r:kernel_t
        sid security system_u:object_r:security_t

        """, levels: [nil],
        booleanSettings: [[:], ["allow_reader": false], ["lock_down": true], ["allow_reader": true, "lock_down": true]])

    /// MCS with several users and ranges and three kinds of level comparison.
    static let multiCategory = Variant(name: "MCS categories", text: header + """
        sensitivity s0;
        dominance { s0 }
        category c0; category c1; category c2; category c3; category c4; category c5; category c6; category c7;
        level s0:c0.c7;
        mlsconstrain chr_file { read } ( l1 eq l2 or t1 == mcs_exempt );
        mlsconstrain chr_file { write append } ( h1 dom h2 );
        mlsconstrain chr_file { ioctl } ( l1 domby h2 and h1 dom l2 );
        mlsconstrain chr_file { open } ( h1 incomp h2 or h1 dom h2 );
        attribute domain;
        attribute mcs_exempt;
        bool vm_io true;
        type kernel_t, domain, mcs_exempt;
        type vm_a_t, domain;
        type vm_b_t, domain;
        type tool_t, domain;
        type argo_stream_t;
        type argo_dgram_t;
        type security_t;
        allow domain argo_stream_t:chr_file { open read write ioctl append };
        if (vm_io) {
            allow vm_a_t argo_dgram_t:chr_file { open read write ioctl };
        }
        allow domain self:process fork;
        role system_r;
        role vm_r;
        role tool_r;
        role system_r types kernel_t;
        role vm_r types { vm_a_t vm_b_t };
        role tool_r types tool_t;
        user system_u roles { system_r } level s0 range s0 - s0:c0.c7;
        user vm_u roles { vm_r } level s0:c2 range s0:c2 - s0:c2.c5;
        user tool_u roles { tool_r } level s0 range s0 - s0:c1;
        sid kernel system_u:system_r:kernel_t:s0 - s0:c0.c7
        sid security system_u:object_r:security_t:s0

        """, levels: ["s0", "s0:c2", "s0:c1,c2", "s0:c2.c5", "s0-s0:c0.c7", "s0:c6"],
        booleanSettings: [[:], ["vm_io": false]])
}
