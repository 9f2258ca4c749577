import Flask
import Foundation
import TOMLReader

extension SystemInventory {
    /// `selinux_policy`, `file_contexts` and `argo_devices`: the domain's own SELinux side.
    static func readGuestPolicyKeys(_ doc: TOMLDocument, _ t: TOMLTable, index i: Int, baseDirectory: URL,
                                    into spec: inout DomainSpec) throws(InputError) {
        func path(_ key: String) throws(InputError) -> String? {
            guard let value = try doc.string(t, key, in: "domain", index: i) else { return nil }
            guard !value.isEmpty else { throw doc.error("'\(key)' cannot be empty", table: "domain", index: i, key: key) }
            return value.hasPrefix("/") ? value : baseDirectory.appendingPathComponent(value).path
        }
        spec.selinuxPolicy = try path("selinux_policy")
        spec.fileContexts = try path("file_contexts")
        if let devices = try doc.strings(t, "argo_devices", in: "domain", index: i) {
            guard !devices.isEmpty else { throw doc.error("'argo_devices' needs at least one path", table: "domain", index: i, key: "argo_devices") }
            for d in devices where !d.hasPrefix("/") {
                throw doc.error("device '\(d)' must be an absolute path", table: "domain", index: i, key: "argo_devices")
            }
            spec.argoDevices = devices
        }
        if spec.selinuxPolicy == nil && (spec.fileContexts != nil || spec.argoDevices != nil) {
            throw doc.error("'file_contexts' and 'argo_devices' need 'selinux_policy'", table: "domain", index: i)
        }
        if spec.selinuxPolicy != nil && spec.fileContexts == nil {
            throw doc.error("'selinux_policy' needs 'file_contexts' (the device labels come from it)", table: "domain", index: i, key: "selinux_policy")
        }
    }
}
