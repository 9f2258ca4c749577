import CSepol
import Foundation

/// libsepol's own security server (`sepol_compute_av`, `sepol_transition_sid`) loaded with
/// one policy: the reference Argus's decision table is tested against.
///
/// libsepol keeps one process-wide policy and SID table, so only one oracle can exist at a
/// time: `SepolOracle.with(policy:_:)` holds a global lock while the body runs.
public final class SepolOracle {
    private static let lock = NSLock()
    private let db: UnsafeMutablePointer<policydb_t>
    /// libsepol keeps a pointer to the SID table inside: it must not move, so it lives on the heap.
    private let state: UnsafeMutablePointer<argus_oracle>

    private init(db: UnsafeMutablePointer<policydb_t>) {
        self.db = db
        state = .allocate(capacity: 1)
        state.initialize(to: argus_oracle())
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Loads `bytes` into libsepol's services and runs `body` with it.
    public static func with<R>(policy bytes: [UInt8], _ body: (SepolOracle) throws -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        argus_silence_default_handle()
        var copy = bytes
        let db = copy.withUnsafeMutableBytes { raw in argus_policydb_from_image(nil, raw.baseAddress, raw.count) }
        guard let db else { throw SepolReadError(message: "libsepol could not read the policy") }
        defer { argus_policydb_free(db) }
        let oracle = SepolOracle(db: db)
        guard argus_oracle_install(oracle.state, db) == 0 else {
            throw SepolReadError(message: "libsepol could not load the initial SIDs")
        }
        defer { argus_oracle_uninstall(oracle.state) }
        return try body(oracle)
    }

    /// The SID of a context string (`user:role:type[:range]`), or nil when libsepol rejects it.
    public func sid(for context: String) -> UInt32? {
        var sid: sepol_security_id_t = 0
        let rc = context.withCString { sepol_context_to_sid($0, strlen($0) + 1, &sid) }
        return rc == 0 ? sid : nil
    }

    /// The context string of a SID.
    public func context(of sid: UInt32) -> String? {
        var text: sepol_security_context_t?
        var length = 0
        guard sepol_sid_to_context(sid, &text, &length) == 0, let text else { return nil }
        defer { free(text) }
        return String(cString: text)
    }

    public func computeAV(source: UInt32, target: UInt32, tclass: UInt16) -> AccessVector? {
        var av = argus_av()
        guard argus_oracle_compute_av(source, target, tclass, &av) == 0 else { return nil }
        return AccessVector(allowed: av.allowed, auditallow: av.auditallow, auditdeny: av.auditdeny)
    }

    /// The SID a transition from `source` on `target` for objects of `tclass` yields.
    public func transition(source: UInt32, target: UInt32, tclass: UInt16) -> UInt32? {
        var out: sepol_security_id_t = 0
        return sepol_transition_sid(source, target, tclass, &out) == 0 ? out : nil
    }

    /// Sets a boolean (by value) and re-evaluates the conditional rules.
    public func setBoolean(_ value: UInt32, to state: Bool) -> Bool {
        argus_set_bool(db, value, state ? 1 : 0) == 0
    }
}
