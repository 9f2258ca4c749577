public import Flask

/// The Argo driver's device nodes and their labels from a `file_contexts` file.
public enum GuestDevices {
    /// The nodes OpenXT's `linux-xen-argo` driver creates.
    public static let defaultPaths = ["/dev/argo_stream", "/dev/argo_dgram"]

    /// Labels each path as a character device through libselinux (`selabel_lookup`), and
    /// validates the label against the guest policy.
    public static func labelled(
        _ paths: [String], fileContexts: String, policy: Policy
    ) throws(InputError) -> [GuestDevice] {
        let labels = try FileContexts.lookUp(paths, in: fileContexts, as: .characterDevice)
        var devices: [GuestDevice] = []
        for (path, label) in zip(paths, labels) {
            guard let label else {
                throw InputError("no entry labels \(path) as a character device", file: fileContexts)
            }
            devices.append(try GuestDevice.labelled(path, context: label, policy: policy, labelSource: fileContexts))
        }
        return devices
    }
}
