import XenProfile

/// How every output names the Xen its answers are for.
public enum XenProfileJSON {
    /// The text header line: `xen: Xen 4.16.7 (upstream, x86); inferred: ...`.
    public static func textLine(_ profile: XenProfile, basis: String) -> String {
        "xen: \(profile); \(basis)"
    }

    /// The fields of the JSON contract's `xen` object, in order.
    public static func fields(_ profile: XenProfile, basis: String) -> [(key: String, value: String)] {
        [("version", profile.version.description), ("flavour", profile.flavour.rawValue), ("arch", profile.arch.rawValue),
         ("xsm_build", profile.xsmBuild.rawValue), ("basis", basis)]
    }

    /// The `xen` object as one line of JSON.
    public static func object(_ profile: XenProfile, basis: String) -> String {
        var w = JSONStreamWriter()
        w.raw("{")
        for (i, field) in fields(profile, basis: basis).enumerated() {
            if i > 0 { w.raw(", ") }
            w.string(field.key); w.raw(": "); w.string(field.value)
        }
        w.raw("}")
        return w.text
    }

    /// The simulate trace's first line: `{"xen": {...}}`.
    public static func traceHeader(_ profile: XenProfile, basis: String) -> String {
        "{\"xen\": \(object(profile, basis: basis))}"
    }
}
