import ArgumentParser
import ArgusAnalysis
import Flask

/// Where a command's domains come from when a system file is optional: `--system FILE`, or a
/// live host's `xl list -Z` output (`--system-from-xl-list FILE`, whose boot comes from
/// `--xl-info`). `SystemOptions` is the same pair for the commands that need one of them.
enum HostDomainSource {
    static let xlListHelp = ArgumentHelp(
        "Instead of --system: the running domains, from the output of 'xl list -Z' on the host (with --xl-info for its boot command line).",
        valueName: "file")

    /// Usage error (exit 2) for both given; `required` also for neither.
    static func validate(systemFile: String?, xlList: String?, required: Bool) throws {
        switch (systemFile, xlList) {
        case (.some, .some): throw ValidationError("give --system or --system-from-xl-list, not both")
        case (nil, nil) where required:
            throw ValidationError("Missing expected argument '--system <file>' (or --system-from-xl-list <file>)")
        default: break
        }
    }

    /// The path answers name: the system file or the `xl list` output ("" for neither).
    static func path(systemFile: String?, xlList: String?) -> String { systemFile ?? xlList ?? "" }

    /// The domains of the system file or of the `xl list` output; nil when neither was given.
    /// A live host's boot is unknown without `xl info`: refused, not guessed.
    static func load(systemFile: String?, xlList: String?, xlInfo: String?) throws(InputError) -> SystemInventory? {
        if let xlList {
            guard xlInfo != nil else {
                throw InputError("needs --xl-info FILE: the host's Xen command line (argo=, xsm=, flask=) comes from 'xl info'",
                                 option: "--system-from-xl-list")
            }
            return try SystemInventory.fromXLList(xlList)
        }
        return try systemFile.map { path throws(InputError) in try SystemInventory.load(path) }
    }
}
