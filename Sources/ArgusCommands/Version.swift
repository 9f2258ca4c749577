/// What `argus --version` prints: the release number and the git commit of the build.
public enum ArgusVersion {
    /// The release number; `make deb` takes the package version from here (through `argus --version`).
    public static let number = "0.1.0"

    /// The git commit the binary was built from, embedded at build time by the BuildInfo plugin
    /// (`Plugins/BuildInfo`): 40 hex digits, `-dirty` when the tree had uncommitted changes,
    /// or "unknown" when built outside a git checkout.
    public static let commit = BuildInfo.commit

    /// "argus 0.1.0 (commit 0123abcd…)".
    public static var text: String { "argus \(number) (commit \(commit))" }
}

/// Where the project is published: SARIF's `informationUri` and each rule's `helpUri` point here.
public enum ArgusProject {
    /// The repository; change it here (one place) if the project moves.
    public static let repositoryURL = "https://github.com/argus-xen/argus"

    /// A page of `docs/` on the main branch, at a heading's anchor.
    public static func documentation(_ page: String, anchor: String? = nil) -> String {
        "\(repositoryURL)/blob/main/docs/\(page)" + (anchor.map { "#\($0)" } ?? "")
    }
}
