import ArgumentParser
import ArgusAnalysis
import Flask
import XenProfile

/// Which Xen the answer is for (docs/XEN-PROFILES.md).
public struct XenOptions: ParsableArguments {
    @Option(name: .customLong("xen"), help: ArgumentHelp(
        "The Xen to predict: a release from 4.12.0 on, or head; +openxt for OpenXT's; v2-series is refused (docs/XEN-PROFILES.md) (default: the system file's [xen], else inferred).",
        valueName: "version[+flavour]"))
    public var xen: String?
    @Option(name: .customLong("arch"), help: ArgumentHelp("The architecture Xen runs on: x86 (default) or arm.", valueName: "arch"))
    public var arch: String?
    @Option(name: .customLong("xl-info"), help: ArgumentHelp(
        "The output of 'xl info' on the host: its Xen version, command line and architecture.", valueName: "file"))
    public var xlInfo: String?
    @Flag(help: "Decide even when the policy would not load on the selected Xen (the refusal becomes a warning).")
    public var force = false

    public init() {}

    public var request: XenRequest { XenRequest(xen: xen, arch: arch, xlInfo: xlInfo) }

    /// The Xen for `policyPath` (`version` overrides `--xen`: diff's per-side options). An
    /// inferred one is said by `admit`, once the policy has loaded, so that bad input still
    /// gets exactly one line.
    func select(
        policyPath: String, flaskDirectory: String?, table: XenTable, systemFile: String,
        version: String? = nil, side: String? = nil, in context: CommandContext
    ) throws(InputError) -> SelectedXen {
        var request = request
        if let version { request.xen = version }
        let selected = try XenSelection.select(
            request, table: table, systemFile: systemFile, policyPath: policyPath, flaskDirectory: flaskDirectory)
        return selected
    }

    /// Refuses (exit 2, the first reason) a policy that `selected`'s Xen would not load or
    /// whose own definitions contradict its numbering; with --force, one warning line instead.
    func admit(_ policy: Policy, on selected: SelectedXen, flaskDirectory: String?, side: String? = nil,
               in context: CommandContext) throws(InputError) {
        let prefix = side.map { "\($0): " } ?? ""
        let refusal = XenFit.refusal(policy: policy, selected: selected, flaskDirectory: flaskDirectory)
        if refusal == nil || force, let note = selected.note { context.standardError.write(prefix + note + "\n") }
        guard let refusal else { return }
        guard force else { throw InputError("\(prefix)\(refusal) (--force decides anyway)", file: policy.origin.path) }
        context.standardError.write("argus: warning: \(prefix)\(refusal)\n")
    }
}
