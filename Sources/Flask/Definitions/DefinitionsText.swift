extension FlaskDefinitions {
    /// The three definition files that number exactly as these definitions do, as checkpolicy
    /// reads them beside a source tree that has none of its own.
    public var sourceFiles: [(name: String, text: String)] {
        var classes = "", vectors = "", sids = ""
        for c in classes_ { classes += "class \(c.name)\n" }
        for common in commons {
            vectors += "common \(common.name)\n{\n" + common.permissions.map { "\t\($0.name)\n" }.joined() + "}\n\n"
        }
        for c in classes_ {
            let own = c.permissions.filter { $0.inheritedFrom == nil }
            vectors += "class \(c.name)" + (c.inherits.map { " inherits \($0)" } ?? "")
            vectors += own.isEmpty ? "\n\n" : "\n{\n" + own.map { "\t\($0.name)\n" }.joined() + "}\n\n"
        }
        for sid in initialSIDs { sids += "sid \(sid.name)\n" }
        return [("security_classes", classes), ("access_vectors", vectors), ("initial_sids", sids)]
    }

    private var classes_: [SecurityClassDefinition] { classes.sorted { $0.value < $1.value } }

    /// Initial SID names in hypervisor order (number = index + 1).
    public var initialSIDNames: [String] { initialSIDs.sorted { $0.value < $1.value }.map(\.name) }
}
