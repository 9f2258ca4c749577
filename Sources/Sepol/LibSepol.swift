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
            argus_guard_begin()
            let db = copy.withUnsafeMutableBytes { raw in
                argus_policydb_from_image(handle, raw.baseAddress, raw.count)
            }
            argus_guard_end()
            guard let db else {
                let text = collectedMessage(msg)
                return .failure(SepolReadError(message: text.isEmpty ? "libsepol could not read the policy" : text))
            }
            defer { argus_policydb_free(db) }
            guard argus_is_kernel(db) != 0 else {
                return .failure(SepolReadError(message: "a policy module, not a kernel policy"))
            }
            do throws(SepolReadError) {
                let image = try ImageReader(db).read()
                try image.checkReferences()
                return .success(image)
            } catch {
                return .failure(error)
            }
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

/// A binary that libsepol accepted but whose values do not hold together.
func corrupt(_ what: String) -> SepolReadError { SepolReadError(message: "corrupt binary policy: \(what)") }

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

    func read() throws(SepolReadError) -> PolicyImage {
        let p = db.pointee
        let unknown: PolicyImage.HandleUnknown = switch p.handle_unknown {
        case UInt32(SEPOL_ALLOW_UNKNOWN): .allow
        case UInt32(SEPOL_REJECT_UNKNOWN): .reject
        default: .deny
        }
        let (avEntries, conditionals) = try readAccessVectors()
        return PolicyImage(
            version: Int(p.policyvers),
            platform: argus_is_xen(db) != 0 ? .xen : .selinux,
            mls: p.mls != 0,
            handleUnknown: unknown,
            commons: try readCommons(),
            classes: try readClasses(),
            types: try readTypes(),
            typeAttributeMap: readTypeAttributeMap(),
            roles: try readRoles(),
            users: try readUsers(),
            booleans: try readBooleans(),
            sensitivities: try readSensitivities(),
            categories: try readCategories(),
            accessVectors: avEntries,
            conditionals: conditionals,
            roleTransitions: readRoleTransitions(),
            roleAllows: readRoleAllows(),
            rangeTransitions: readRangeTransitions(),
            initialSIDs: try readInitialSIDs(),
            policyCapabilities: bits(of: p.policycaps).map { $0 },
            xenObjectContexts: readXenObjectContextCounts()
        )
    }

    // MARK: symbols

    private func count(_ sym: Int32) -> UInt32 { argus_sym_count(db, sym) }

    /// The name of a symbol value; a value without one (a gap in the table) is a corrupt binary.
    private func name(_ sym: Int32, _ value: UInt32) throws(SepolReadError) -> String {
        guard let text = argus_sym_name(db, sym, value) else {
            throw corrupt("\(Self.tableNames[Int(sym)]) table: value \(value) of \(count(sym)) has no name")
        }
        return String(cString: text)
    }

    /// Fails on a value whose struct is missing (libsepol tolerates a few such gaps).
    private func present<T>(_ pointer: UnsafeMutablePointer<T>?, _ sym: Int32, _ value: UInt32) throws(SepolReadError) -> T {
        guard let pointer else {
            throw corrupt("\(Self.tableNames[Int(sym)]) table: value \(value) of \(count(sym)) is missing")
        }
        return pointer.pointee
    }

    static let tableNames = ["commons", "classes", "roles", "types", "users", "booleans", "sensitivities", "categories"]

    private func readCommons() throws(SepolReadError) -> [PolicyImage.Common] {
        var commons: [(UInt32, PolicyImage.Common)] = []
        var failure: SepolReadError?
        eachEntry(argus_symtab(db, SYM_COMMONS).pointee.table) { key, datum in
            let common = datum.assumingMemoryBound(to: common_datum_t.self)
            do throws(SepolReadError) {
                let perms = try permissionNames(common.pointee.permissions.table, owner: "common \(key)")
                commons.append((common.pointee.s.value, .init(name: key, permissions: perms.compactMap { $0 })))
            } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
        return commons.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Permission names by bit index from a permission symbol table.
    private func permissionNames(_ table: hashtab_t?, owner: String) throws(SepolReadError) -> [String?] {
        var names = [String?](repeating: nil, count: 32)
        var bad: Int?
        eachEntry(table) { key, datum in
            let value = Int(datum.assumingMemoryBound(to: perm_datum_t.self).pointee.s.value)
            if value >= 1 && value <= 32 && names[value - 1] == nil { names[value - 1] = key } else { bad = value }
        }
        if let bad { throw corrupt("\(owner): permission value \(bad) is outside 1-32 or used twice") }
        while let last = names.last, last == nil { names.removeLast() }
        return names
    }

    private func readClasses() throws(SepolReadError) -> [PolicyImage.SecurityClass] {
        let n = count(SYM_CLASSES)
        guard n > 0 else { return [] }
        guard n <= UInt32(UInt16.max) else { throw corrupt("classes table: \(n) classes, at most \(UInt16.max)") }
        return try (1...n).map { value throws(SepolReadError) -> PolicyImage.SecurityClass in
            guard let cls = argus_class_struct(db, value) else {
                throw corrupt("classes table: value \(value) of \(n) is missing")
            }
            let className = try name(SYM_CLASSES, value)
            var perms = try permissionNames(cls.pointee.permissions.table, owner: "class \(className)")
            var commonName: String?
            if let common = cls.pointee.comdatum {
                commonName = cls.pointee.comkey.map { String(cString: $0) }
                let inherited = try permissionNames(common.pointee.permissions.table, owner: "class \(className)")
                if perms.count < inherited.count { perms += [String?](repeating: nil, count: inherited.count - perms.count) }
                for (i, n) in inherited.enumerated() where n != nil { perms[i] = n }
            }
            return PolicyImage.SecurityClass(
                name: className,
                value: UInt16(value),
                common: commonName,
                permissions: perms,
                constraints: try constraints(cls.pointee.constraints),
                validateTransitions: try constraints(cls.pointee.validatetrans),
                defaultUser: UInt8(bitPattern: cls.pointee.default_user),
                defaultRole: UInt8(bitPattern: cls.pointee.default_role),
                defaultType: UInt8(bitPattern: cls.pointee.default_type),
                defaultRange: UInt8(bitPattern: cls.pointee.default_range)
            )
        }
    }

    private func constraints(_ head: UnsafeMutablePointer<constraint_node_t>?) throws(SepolReadError) -> [PolicyImage.Constraint] {
        var result: [PolicyImage.Constraint] = []
        var node = head
        while let n = node {
            var expr: [PolicyImage.ConstraintNode] = []
            var e = n.pointee.expr
            while let x = e {
                guard let kind = PolicyImage.ConstraintNode.Kind(rawValue: x.pointee.expr_type) else {
                    throw corrupt("constraint: unknown expression node \(x.pointee.expr_type)")
                }
                // Operators only matter on attribute and names nodes; elsewhere libsepol writes 0.
                let op = PolicyImage.ConstraintNode.Operator(rawValue: x.pointee.op)
                guard op != nil || kind == .not || kind == .and || kind == .or else {
                    throw corrupt("constraint: unknown operator \(x.pointee.op)")
                }
                expr.append(.init(
                    kind: kind,
                    attribute: x.pointee.attr,
                    op: op ?? .equal,
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

    private func readTypes() throws(SepolReadError) -> [PolicyImage.TypeSymbol] {
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
        return try (1...n).map { value throws(SepolReadError) in
            guard let datum = argus_type_struct(db, value) else {
                // Policy versions 20-23 do not store attributes: their values are gaps that
                // only the type/attribute map refers to (checkpolicy names them @ttrNNNN).
                guard (20...23).contains(db.pointee.policyvers) else {
                    throw corrupt("types table: value \(value) of \(n) is missing")
                }
                return PolicyImage.TypeSymbol(
                    name: "@ttr\(value)", value: value, isAttribute: true, aliases: [], bounds: 0, permissive: false)
            }
            let t = datum.pointee
            return PolicyImage.TypeSymbol(
                name: try name(SYM_TYPES, value),
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

    private func readRoles() throws(SepolReadError) -> [PolicyImage.Role] {
        let n = count(SYM_ROLES)
        guard n > 0 else { return [] }
        return try (1...n).map { value throws(SepolReadError) in
            let r = try present(argus_role_struct(db, value), SYM_ROLES, value)
            return PolicyImage.Role(
                name: try name(SYM_ROLES, value), value: value,
                types: bits(of: r.types.types).map { $0 + 1 },
                dominates: bits(of: r.dominates).map { $0 + 1 },
                bounds: r.bounds
            )
        }
    }

    private func readUsers() throws(SepolReadError) -> [PolicyImage.User] {
        let n = count(SYM_USERS)
        guard n > 0 else { return [] }
        let mls = db.pointee.mls != 0
        return try (1...n).map { value throws(SepolReadError) in
            var u = try present(argus_user_struct(db, value), SYM_USERS, value)
            return PolicyImage.User(
                name: try name(SYM_USERS, value), value: value,
                roles: bits(of: u.roles.roles).map { $0 + 1 },
                range: mls ? range(&u.exp_range) : nil,
                defaultLevel: mls ? level(u.exp_dfltlevel) : nil,
                bounds: u.bounds
            )
        }
    }

    private func readBooleans() throws(SepolReadError) -> [PolicyImage.Boolean] {
        let n = count(SYM_BOOLS)
        guard n > 0 else { return [] }
        return try (1...n).map { value throws(SepolReadError) in
            let b = try present(argus_bool_struct(db, value), SYM_BOOLS, value)
            return PolicyImage.Boolean(name: try name(SYM_BOOLS, value), value: value, state: b.state != 0)
        }
    }

    private func readSensitivities() throws(SepolReadError) -> [PolicyImage.Sensitivity] {
        var primaries: [UInt32: PolicyImage.Sensitivity] = [:]
        var aliases: [UInt32: [String]] = [:]
        var duplicate: UInt32?
        eachEntry(argus_symtab(db, SYM_LEVELS).pointee.table) { key, datum in
            let l = datum.assumingMemoryBound(to: level_datum_t.self).pointee
            guard let lvl = l.level else { return }
            let sens = lvl.pointee.sens
            if l.isalias != 0 {
                aliases[sens, default: []].append(key)
            } else if primaries[sens] != nil {
                duplicate = sens
            } else {
                primaries[sens] = .init(name: key, value: sens, aliases: [], categories: bits(of: lvl.pointee.cat).map { $0 + 1 })
            }
        }
        if let duplicate { throw corrupt("sensitivities table: value \(duplicate) is defined twice") }
        return primaries.sorted { $0.key < $1.key }.map { sens, primary in
            var s = primary
            s.aliases = (aliases[sens] ?? []).sorted()
            return s
        }
    }

    private func readCategories() throws(SepolReadError) -> [PolicyImage.Category] {
        var primaries: [UInt32: String] = [:]
        var aliases: [UInt32: [String]] = [:]
        var duplicate: UInt32?
        eachEntry(argus_symtab(db, SYM_CATS).pointee.table) { key, datum in
            let c = datum.assumingMemoryBound(to: cat_datum_t.self).pointee
            if c.isalias != 0 {
                aliases[c.s.value, default: []].append(key)
            } else if primaries[c.s.value] != nil {
                duplicate = c.s.value
            } else {
                primaries[c.s.value] = key
            }
        }
        if let duplicate { throw corrupt("categories table: value \(duplicate) is defined twice") }
        return primaries.sorted { $0.key < $1.key }.map { .init(name: $0.value, value: $0.key, aliases: (aliases[$0.key] ?? []).sorted()) }
    }

    // MARK: rules

    private func readAccessVectors() throws(SepolReadError) -> ([PolicyImage.AccessVectorEntry], [PolicyImage.Conditional]) {
        var entries: [PolicyImage.AccessVectorEntry] = []
        var unknownKind: UInt16?
        eachNode(&db.pointee.te_avtab) { node in
            if let e = entry(node, conditional: nil, onTrue: false) { entries.append(e) } else { unknownKind = node.pointee.key.specified }
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
                case COND_NEQ: tokens.append(.notEqual)
                default: throw corrupt("conditional expression: unknown operator \(x.pointee.expr_type)")
                }
                e = x.pointee.next
            }
            let index = conditionals.count
            var trueEntries: [Int] = [], falseEntries: [Int] = []
            for (list, onTrue) in [(c.pointee.true_list, true), (c.pointee.false_list, false)] {
                var item = list
                while let it = item {
                    if let node = it.pointee.node {
                        guard let e = entry(node, conditional: index, onTrue: onTrue) else {
                            throw corrupt("conditional rules: unknown rule kind 0x\(String(node.pointee.key.specified, radix: 16))")
                        }
                        if onTrue { trueEntries.append(entries.count) } else { falseEntries.append(entries.count) }
                        entries.append(e)
                    }
                    item = it.pointee.next
                }
            }
            conditionals.append(.init(expression: tokens, trueEntries: trueEntries, falseEntries: falseEntries))
            cond = c.pointee.next
        }
        if let unknownKind { throw corrupt("access vector table: unknown rule kind 0x\(String(unknownKind, radix: 16))") }
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

    private func readInitialSIDs() throws(SepolReadError) -> [PolicyImage.InitialSID] {
        var out: [PolicyImage.InitialSID] = []
        var c = argus_ocontexts(db, OCON_XEN_ISID)
        while let o = c {
            guard let ctx = argus_ocon_context(o) else { throw corrupt("initial SIDs: an entry has no context") }
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
        PolicyImage.Range(low: level(r.pointee.level.0), high: level(r.pointee.level.1))
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
