extension FlaskDefinitions {
    /// C header text defining the same macros, with the same values and spacing, as the
    /// `flask.h` and `av_permissions.h` that Xen's build generates from these definitions:
    /// `SECCLASS_<CLASS>`, `SECINITSID_<SID>`, `SECINITSID_NUM`, `<CLASS>__<PERM>` (in
    /// `access_vectors` order, one blank line after each class) and, for commons,
    /// `COMMON_<COMMON>__<PERM>`. Names are upper-cased.
    ///
    /// With `onlyClass`, just that class's `SECCLASS_` macro and permissions.
    public func cHeader(onlyClass: String? = nil) -> String {
        var lines: [String] = []
        let selected = onlyClass.map { name in classes.filter { $0.name == name } } ?? classes
        let guardName = "ARGUS_FLASK_DEFINITIONS_H"
        lines.append("/* Xen FLASK definitions as Xen's build numbers them: security classes, */")
        lines.append("/* initial SIDs and permission bits. Written by `argus defs --format c`. */")
        lines.append("#ifndef \(guardName)")
        lines.append("#define \(guardName)")
        lines.append("")
        lines.append("/* Security classes, numbered from 1 in security_classes order. */")
        for securityClass in selected {
            lines.append(Self.macro("SECCLASS_" + securityClass.name.uppercased(),
                                    padding: 40 - securityClass.name.utf8.count, value: "\(securityClass.value)"))
        }
        if onlyClass == nil {
            lines.append("")
            lines.append("/* Initial SIDs, numbered from 1 in initial_sids order. */")
            for sid in initialSIDs {
                lines.append(Self.macro("SECINITSID_" + sid.name.uppercased(),
                                        padding: 37 - sid.name.utf8.count, value: "\(sid.value)"))
            }
            lines.append("")
            lines.append(Self.macro("SECINITSID_NUM", padding: 34, value: "\(initialSIDs.count)"))
        }
        lines.append("")
        lines.append("/* Permission bits of each class, in access_vectors order. */")
        for block in permissionBlocks(selected: selected, includeCommons: onlyClass == nil) {
            for permission in block.permissions {
                let padding = max(1, 40 - (permission.name.utf8.count + block.name.utf8.count))
                lines.append(Self.macro(block.prefix + block.name.uppercased() + "__" + permission.name.uppercased(),
                                        padding: padding, value: "(1UL << \(permission.bitIndex))"))
            }
            lines.append("")
        }
        lines.append("#endif /* \(guardName) */")
        return lines.joined(separator: "\n") + "\n"
    }

    private struct PermissionBlock {
        var prefix: String
        var name: String
        var permissions: [PermissionDefinition]
        var location: SourceLocation
    }

    /// Commons and classes that have access vectors, in the order `access_vectors` has them.
    private func permissionBlocks(selected: [SecurityClassDefinition], includeCommons: Bool) -> [PermissionBlock] {
        var blocks: [PermissionBlock] = []
        if includeCommons {
            blocks += commons.map { PermissionBlock(prefix: "COMMON_", name: $0.name, permissions: $0.permissions, location: $0.location) }
        }
        for securityClass in selected {
            guard let location = securityClass.accessVectorLocation else { continue }
            blocks.append(PermissionBlock(
                prefix: "", name: securityClass.name, permissions: securityClass.permissions, location: location))
        }
        return blocks.sorted { ($0.location.line ?? 0, $0.location.column ?? 0) < ($1.location.line ?? 0, $1.location.column ?? 0) }
    }

    /// `#define NAME<spaces>VALUE`; Xen's scripts pad to a fixed column. Unlike them, at
    /// least one space is kept when a name is too long to line up.
    private static func macro(_ name: String, padding: Int, value: String) -> String {
        "#define " + name + String(repeating: " ", count: max(1, padding)) + value
    }
}
