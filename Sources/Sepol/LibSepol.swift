import CSepol
import CSepolGuard

// The only Swift file that touches libsepol's C structures. Everything it returns is a
// plain value (`PolicyImage`, numbers, strings); C memory is freed before it returns.

/// libsepol refused a binary policy; `message` is libsepol's own first complaint.
public struct SepolReadError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

public enum LibSepol {
    /// The magic number that opens every binary SELinux/Xen policy (little endian on disk).
    public static let policyMagic: UInt32 = 0xf97c_ff8c

    /// Reads a binary kernel policy image. Throws when libsepol rejects the bytes.
    public static func readPolicy(_ bytes: [UInt8]) throws(SepolReadError) -> PolicyImage {
        argus_silence_default_handle()
        var messages = argus_msgbuf()
        let outcome: Result<PolicyImage, SepolReadError> = withUnsafeMutablePointer(to: &messages) { msg in
            guard let handle = argus_handle_create(msg) else {
                return .failure(SepolReadError(message: "libsepol could not create a handle"))
            }
            defer { sepol_handle_destroy(handle) }
            var copy = bytes
            let db = copy.withUnsafeMutableBytes { raw in
                argus_policydb_from_image(handle, raw.baseAddress, raw.count)
            }
            guard let db else {
                let text = collectedMessage(msg)
                return .failure(SepolReadError(message: text.isEmpty ? "libsepol could not read the policy" : text))
            }
            defer { argus_policydb_free(db) }
            guard argus_is_kernel(db) != 0 else {
                return .failure(SepolReadError(message: "a policy module, not a kernel policy"))
            }
            return .success(ImageReader(db).read())
        }
        return try outcome.get()
    }

    fileprivate static func collectedMessage(_ buf: UnsafeMutablePointer<argus_msgbuf>) -> String {
        withUnsafeBytes(of: &buf.pointee.text) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self).trimmingCharactersFromEnd()
        }
    }
}

private extension String {
    func trimmingCharactersFromEnd() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == " " || last == "." { s = s.dropLast() }
        return String(s)
    }
}

// MARK: - Walking a policydb

private struct ImageReader {
    let db: UnsafeMutablePointer<policydb_t>
    init(_ db: UnsafeMutablePointer<policydb_t>) { self.db = db }

    func read() -> PolicyImage {
        let p = db.pointee
        let unknown: PolicyImage.HandleUnknown = switch p.handle_unknown {
        case UInt32(SEPOL_ALLOW_UNKNOWN): .allow
        case UInt32(SEPOL_REJECT_UNKNOWN): .reject
        default: .deny
        }
        let (avEntries, conditionals) = readAccessVectors()
        return PolicyImage(
            version: Int(p.policyvers),
            platform: argus_is_xen(db) != 0 ? .xen : .selinux,
            mls: p.mls != 0,
            handleUnknown: unknown,
            commons: readCommons(),
            classes: readClasses(),
            types: readTypes(),
            typeAttributeMap: readTypeAttributeMap(),
            roles: readRoles(),
            users: readUsers(),
            booleans: readBooleans(),
            sensitivities: readSensitivities(),
            categories: readCategories(),
            accessVectors: avEntries,
            conditionals: conditionals,
            roleTransitions: readRoleTransitions(),
            roleAllows: readRoleAllows(),
            rangeTransitions: readRangeTransitions(),
            initialSIDs: readInitialSIDs(),
            policyCapabilities: bits(of: p.policycaps).map { $0 },
            xenObjectContexts: readXenObjectContextCounts()
        )
    }

    // MARK: symbols

    private func count(_ sym: Int32) -> UInt32 { argus_sym_count(db, sym) }
    private func name(_ sym: Int32, _ value: UInt32) -> String { String(cString: argus_sym_name(db, sym, value)) }

    private func readCommons() -> [PolicyImage.Common] {
        var commons: [(UInt32, PolicyImage.Common)] = []
        eachEntry(argus_symtab(db, SYM_COMMONS).pointee.table) { key, datum in
            let common = datum.assumingMemoryBound(to: common_datum_t.self)
            let perms = permissionNames(common.pointee.permissions.table, offset: 0)
            commons.append((common.pointee.s.value, .init(name: key, permissions: perms.compactMap { $0 })))
        }
        return commons.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Permission names by bit index from a permission symbol table.
    private func permissionNames(_ table: hashtab_t?, offset: Int) -> [String?] {
        var names = [String?](repeating: nil, count: 32)
        eachEntry(table) { key, datum in
            let value = Int(datum.assumingMemoryBound(to: perm_datum_t.self).pointee.s.value)
            if value >= 1 && value <= 32 { names[value - 1] = key }
        }
        while let last = names.last, last == nil { names.removeLast() }
        return names
    }

    private func readClasses() -> [PolicyImage.SecurityClass] {
        (1...max(1, count(SYM_CLASSES))).compactMap { value -> PolicyImage.SecurityClass? in
            guard value <= count(SYM_CLASSES), let cls = db.pointee.class_val_to_struct[Int(value) - 1] else { return nil }
            var perms = permissionNames(cls.pointee.permissions.table, offset: 0)
            var commonName: String?
            if let common = cls.pointee.comdatum {
                commonName = cls.pointee.comkey.map { String(cString: $0) }
                let inherited = permissionNames(common.pointee.permissions.table, offset: 0)
                if perms.count < inherited.count { perms += [String?](repeating: nil, count: inherited.count - perms.count) }
                for (i, n) in inherited.enumerated() where n != nil { perms[i] = n }
            }
            return PolicyImage.SecurityClass(
                name: name(SYM_CLASSES, value),
                value: UInt16(value),
                common: commonName,
                permissions: perms,
                constraints: constraints(cls.pointee.constraints),
                validateTransitions: constraints(cls.pointee.validatetrans),
                defaultUser: UInt8(bitPattern: cls.pointee.default_user),
                defaultRole: UInt8(bitPattern: cls.pointee.default_role),
                defaultType: UInt8(bitPattern: cls.pointee.default_type),
                defaultRange: UInt8(bitPattern: cls.pointee.default_range)
            )
        }
    }

    private func constraints(_ head: UnsafeMutablePointer<constraint_node_t>?) -> [PolicyImage.Constraint] {
        var result: [PolicyImage.Constraint] = []
        var node = head
        while let n = node {
            var expr: [PolicyImage.ConstraintNode] = []
            var e = n.pointee.expr
            while let x = e {
                expr.append(.init(
                    kind: .init(rawValue: x.pointee.expr_type) ?? .not,
                    attribute: x.pointee.attr,
                    op: .init(rawValue: x.pointee.op) ?? .equal,
                    names: x.pointee.expr_type == UInt32(CEXPR_NAMES)
                        ? bits(of: x.pointee.names).map { $0 + 1 }
                        : []
                ))
                e = x.pointee.next
            }
            result.append(.init(permissions: n.pointee.permissions, expression: expr))
            node = n.pointee.next
        }
        return result
    }

    private func readTypes() -> [PolicyImage.TypeSymbol] {
        let n = count(SYM_TYPES)
        guard n > 0 else { return [] }
        var aliases = [[String]](repeating: [], count: Int(n))
        eachEntry(argus_symtab(db, SYM_TYPES).pointee.table) { key, datum in
            let t = datum.assumingMemoryBound(to: type_datum_t.self).pointee
            if t.primary == 0 && t.flavor != UInt32(TYPE_ATTRIB) && t.s.value >= 1 && t.s.value <= n {
                aliases[Int(t.s.value) - 1].append(key)
            }
        }
        let permissive = Set(bits(of: db.pointee.permissive_map))
        return (1...n).map { value in
            let t = db.pointee.type_val_to_struct[Int(value) - 1]!.pointee
            return PolicyImage.TypeSymbol(
                name: name(SYM_TYPES, value),
                value: value,
                isAttribute: t.flavor == UInt32(TYPE_ATTRIB),
                aliases: aliases[Int(value) - 1].sorted(),
                bounds: t.bounds,
                permissive: permissive.contains(value)
            )
        }
    }

    private func readTypeAttributeMap() -> [[UInt32]] {
        let n = Int(count(SYM_TYPES))
        guard n > 0, let map = db.pointee.type_attr_map else { return [] }
        return (0..<n).map { i in bits(of: map[i]).map { $0 + 1 } }
    }

    private func readRoles() -> [PolicyImage.Role] {
        let n = count(SYM_ROLES)
        guard n > 0 else { return [] }
        return (1...n).map { value in
            let r = db.pointee.role_val_to_struct[Int(value) - 1]!.pointee
            return PolicyImage.Role(
                name: name(SYM_ROLES, value), value: value,
                types: bits(of: r.types.types).map { $0 + 1 },
                dominates: bits(of: r.dominates).map { $0 + 1 },
                bounds: r.bounds
            )
        }
    }

    private func readUsers() -> [PolicyImage.User] {
        let n = count(SYM_USERS)
        guard n > 0 else { return [] }
        let mls = db.pointee.mls != 0
        return (1...n).map { value in
            var u = db.pointee.user_val_to_struct[Int(value) - 1]!.pointee
            return PolicyImage.User(
                name: name(SYM_USERS, value), value: value,
                roles: bits(of: u.roles.roles).map { $0 + 1 },
                range: mls ? range(&u.exp_range) : nil,
                defaultLevel: mls ? level(u.exp_dfltlevel) : nil,
                bounds: u.bounds
            )
        }
    }

    private func readBooleans() -> [PolicyImage.Boolean] {
        let n = count(SYM_BOOLS)
        guard n > 0 else { return [] }
        return (1...n).map { value in
            let b = db.pointee.bool_val_to_struct[Int(value) - 1]!.pointee
            return PolicyImage.Boolean(name: name(SYM_BOOLS, value), value: value, state: b.state != 0)
        }
    }

    private func readSensitivities() -> [PolicyImage.Sensitivity] {
        var primaries: [UInt32: PolicyImage.Sensitivity] = [:]
        var aliases: [UInt32: [String]] = [:]
        eachEntry(argus_symtab(db, SYM_LEVELS).pointee.table) { key, datum in
            let l = datum.assumingMemoryBound(to: level_datum_t.self).pointee
            guard let lvl = l.level else { return }
            let sens = lvl.pointee.sens
            if l.isalias != 0 {
                aliases[sens, default: []].append(key)
            } else {
                primaries[sens] = .init(name: key, value: sens, aliases: [], categories: bits(of: lvl.pointee.cat).map { $0 + 1 })
            }
        }
        return primaries.keys.sorted().map { sens in
            var s = primaries[sens]!
            s.aliases = (aliases[sens] ?? []).sorted()
            return s
        }
    }

    private func readCategories() -> [PolicyImage.Category] {
        var primaries: [UInt32: String] = [:]
        var aliases: [UInt32: [String]] = [:]
        eachEntry(argus_symtab(db, SYM_CATS).pointee.table) { key, datum in
            let c = datum.assumingMemoryBound(to: cat_datum_t.self).pointee
            if c.isalias != 0 { aliases[c.s.value, default: []].append(key) } else { primaries[c.s.value] = key }
        }
        return primaries.keys.sorted().map { .init(name: primaries[$0]!, value: $0, aliases: (aliases[$0] ?? []).sorted()) }
    }

    // MARK: rules

    private func readAccessVectors() -> ([PolicyImage.AccessVectorEntry], [PolicyImage.Conditional]) {
        var entries: [PolicyImage.AccessVectorEntry] = []
        eachNode(&db.pointee.te_avtab) { node in
            if let e = entry(node, conditional: nil, onTrue: false) { entries.append(e) }
        }
        // Conditional entries are reached through the conditional list so that each
        // carries its expression and branch.
        var conditionals: [PolicyImage.Conditional] = []
        var cond = db.pointee.cond_list
        while let c = cond {
            var tokens: [PolicyImage.ConditionToken] = []
            var e = c.pointee.expr
            while let x = e {
                switch Int32(x.pointee.expr_type) {
                case COND_BOOL: tokens.append(.boolean(argus_cond_bool_of(x)))
                case COND_NOT: tokens.append(.not)
                case COND_OR: tokens.append(.or)
                case COND_AND: tokens.append(.and)
                case COND_XOR: tokens.append(.xor)
                case COND_EQ: tokens.append(.equal)
                default: tokens.append(.notEqual)
                }
                e = x.pointee.next
            }
            let index = conditionals.count
            var trueEntries: [Int] = [], falseEntries: [Int] = []
            for (list, onTrue) in [(c.pointee.true_list, true), (c.pointee.false_list, false)] {
                var item = list
                while let it = item {
                    if let node = it.pointee.node, let e = entry(node, conditional: index, onTrue: onTrue) {
                        if onTrue { trueEntries.append(entries.count) } else { falseEntries.append(entries.count) }
                        entries.append(e)
                    }
                    item = it.pointee.next
                }
            }
            conditionals.append(.init(expression: tokens, trueEntries: trueEntries, falseEntries: falseEntries))
            cond = c.pointee.next
        }
        return (entries, conditionals)
    }

    private func entry(_ node: avtab_ptr_t, conditional: Int?, onTrue: Bool) -> PolicyImage.AccessVectorEntry? {
        let key = node.pointee.key
        let spec = key.specified & ~UInt16(AVTAB_ENABLED)
        guard let kind = PolicyImage.AccessVectorEntry.Kind(rawValue: spec) else { return nil }
        return .init(
            source: UInt32(key.source_type), target: UInt32(key.target_type), tclass: key.target_class,
            kind: kind, data: node.pointee.datum.data, conditional: conditional, onTrueBranch: onTrue
        )
    }

    private func readRoleTransitions() -> [PolicyImage.RoleTransition] {
        var out: [PolicyImage.RoleTransition] = []
        var t = db.pointee.role_tr
        while let r = t {
            out.append(.init(role: r.pointee.role, type: r.pointee.type, tclass: r.pointee.tclass, newRole: r.pointee.new_role))
            t = r.pointee.next
        }
        return out
    }

    private func readRoleAllows() -> [PolicyImage.RoleAllow] {
        var out: [PolicyImage.RoleAllow] = []
        var t = db.pointee.role_allow
        while let r = t {
            out.append(.init(role: r.pointee.role, newRole: r.pointee.new_role))
            t = r.pointee.next
        }
        return out
    }

    private func readRangeTransitions() -> [PolicyImage.RangeTransition] {
        var out: [PolicyImage.RangeTransition] = []
        eachRawEntry(db.pointee.range_tr) { key, datum in
            let k = key.assumingMemoryBound(to: range_trans_t.self).pointee
            let r = datum.assumingMemoryBound(to: mls_range_t.self)
            out.append(.init(source: k.source_type, target: k.target_type, tclass: k.target_class, range: range(r)))
        }
        return out.sorted { ($0.source, $0.target, $0.tclass) < ($1.source, $1.target, $1.tclass) }
    }

    private func readInitialSIDs() -> [PolicyImage.InitialSID] {
        var out: [PolicyImage.InitialSID] = []
        var c = argus_ocontexts(db, OCON_XEN_ISID)
        while let o = c {
            let ctx = argus_ocon_context(o)!
            out.append(.init(number: argus_ocon_sid_number(o), context: context(ctx)))
            c = o.pointee.next
        }
        return out.sorted { $0.number < $1.number }
    }

    private func readXenObjectContextCounts() -> PolicyImage.XenObjectContextCounts {
        var counts = PolicyImage.XenObjectContextCounts()
        guard argus_is_xen(db) != 0 else { return counts }
        func length(_ which: Int32) -> Int {
            var n = 0
            var c = argus_ocontexts(db, which)
            while let o = c { n += 1; c = o.pointee.next }
            return n
        }
        counts.pirq = length(OCON_XEN_PIRQ)
        counts.ioport = length(OCON_XEN_IOPORT)
        counts.iomem = length(OCON_XEN_IOMEM)
        counts.pciDevice = length(OCON_XEN_PCIDEVICE)
        counts.deviceTree = length(OCON_XEN_DEVICETREE)
        return counts
    }

    // MARK: contexts and levels

    private func context(_ c: UnsafeMutablePointer<context_struct_t>) -> PolicyImage.Context {
        PolicyImage.Context(
            user: c.pointee.user, role: c.pointee.role, type: c.pointee.type,
            range: db.pointee.mls != 0 ? range(&c.pointee.range) : nil
        )
    }

    private func range(_ r: UnsafeMutablePointer<mls_range_t>) -> PolicyImage.Range {
        PolicyImage.Range(low: level(argus_range_level(r, 0)!.pointee), high: level(argus_range_level(r, 1)!.pointee))
    }

    private func level(_ l: mls_level_t) -> PolicyImage.Level {
        PolicyImage.Level(sensitivity: l.sens, categories: bits(of: l.cat).map { $0 + 1 })
    }
}

// MARK: - Generic walkers over libsepol containers

/// The bits set in an ebitmap, 0-based, in increasing order.
func bits(of map: ebitmap_t) -> [UInt32] {
    var out: [UInt32] = []
    var node = map.node
    while let n = node {
        var word = n.pointee.map
        while word != 0 {
            out.append(n.pointee.startbit + UInt32(word.trailingZeroBitCount))
            word &= word - 1
        }
        node = n.pointee.next
    }
    return out
}

/// Visits every entry of a string-keyed libsepol hash table.
func eachEntry(_ table: hashtab_t?, _ visit: (String, UnsafeMutableRawPointer) -> Void) {
    eachRawEntry(table) { key, datum in
        visit(String(cString: key.assumingMemoryBound(to: CChar.self)), datum)
    }
}

func eachRawEntry(_ table: hashtab_t?, _ visit: (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Void) {
    guard let table, let slots = table.pointee.htable else { return }
    for i in 0..<Int(table.pointee.size) {
        var node = slots[i]
        while let n = node {
            if let key = n.pointee.key, let datum = n.pointee.datum {
                visit(UnsafeMutableRawPointer(mutating: key), datum)
            }
            node = n.pointee.next
        }
    }
}

/// Visits every node of an access vector table.
func eachNode(_ table: UnsafeMutablePointer<avtab_t>, _ visit: (avtab_ptr_t) -> Void) {
    guard let slots = table.pointee.htable else { return }
    for i in 0..<Int(table.pointee.nslot) {
        var node = slots[i]
        while let n = node {
            visit(n)
            node = n.pointee.next
        }
    }
}

extension LibSepol {
    /// How many binaries the validation guard has refused in this process (see CSepolGuard).
    public static var guardRefusals: UInt { UInt(argus_guard_refusals()) }
}
