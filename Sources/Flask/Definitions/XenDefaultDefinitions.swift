extension FlaskDefinitions {
    /// Where the built-in definitions come from, relative to the package root; also the
    /// file names their locations carry.
    public static let xenDefaultFiles = DefinitionFilePaths(directory: "policy/flask")

    /// The definitions current Xen is built with: Argus's copy in `policy/flask`, compiled
    /// into the binary (see `XenDefaultDefinitionText`), so no resource files are needed.
    public static let xenDefault: FlaskDefinitions = {
        do {
            return try parse(
                securityClasses: XenDefaultDefinitionText.securityClasses,
                accessVectors: XenDefaultDefinitionText.accessVectors,
                initialSIDs: XenDefaultDefinitionText.initialSIDs,
                files: xenDefaultFiles)
        } catch {
            // The text is checked by the tests; failing here is a build bug, not bad input.
            fatalError("built-in FLASK definitions do not parse: \(error)")
        }
    }()
}
