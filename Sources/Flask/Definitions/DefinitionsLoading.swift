import Foundation

/// The paths of the three definitions files; also the names used in diagnostics.
public struct DefinitionFilePaths: Sendable, Hashable, Codable {
    public var securityClasses: String
    public var accessVectors: String
    public var initialSIDs: String

    public init(securityClasses: String, accessVectors: String, initialSIDs: String) {
        self.securityClasses = securityClasses
        self.accessVectors = accessVectors
        self.initialSIDs = initialSIDs
    }

    /// `security_classes`, `access_vectors` and `initial_sids` inside `directory`.
    public init(directory: String) {
        func join(_ name: String) -> String {
            directory.isEmpty ? name : directory.hasSuffix("/") ? directory + name : directory + "/" + name
        }
        self.init(
            securityClasses: join("security_classes"),
            accessVectors: join("access_vectors"),
            initialSIDs: join("initial_sids"))
    }

    /// The bare file names, for text that has no file of its own.
    public static let bareNames = DefinitionFilePaths(directory: "")
}

extension FlaskDefinitions {
    /// Puts the three parsed files together: numbers the classes and attaches each class's
    /// access vectors. A class with access vectors must be declared in `security_classes`;
    /// a declared class without access vectors has no permissions (Xen's build allows it).
    public init(
        securityClasses: [SecurityClassDeclaration],
        accessVectors: AccessVectorDefinitions,
        initialSIDs: [InitialSIDDefinition]
    ) throws(InputError) {
        let declared = Set(securityClasses.map(\.name))
        var vectorsByClass: [String: ClassAccessVectors] = [:]
        for vectors in accessVectors.classes {
            guard declared.contains(vectors.className) else {
                throw InputError(
                    "class '\(vectors.className)' has access vectors but is not declared in security_classes",
                    at: vectors.location)
            }
            vectorsByClass[vectors.className] = vectors
        }
        guard securityClasses.count <= Int(UInt16.max) else {
            throw InputError("too many classes: at most \(UInt16.max)", at: securityClasses[Int(UInt16.max)].location)
        }
        let classes = securityClasses.enumerated().map { index, declaration in
            let vectors = vectorsByClass[declaration.name]
            return SecurityClassDefinition(
                name: declaration.name,
                value: UInt16(index + 1),
                inherits: vectors?.inherits,
                permissions: vectors?.permissions ?? [],
                location: declaration.location,
                accessVectorLocation: vectors?.location)
        }
        self.init(classes: classes, commons: accessVectors.commons, initialSIDs: initialSIDs)
    }

    /// Parses the three files' texts; `files` gives the names used in diagnostics.
    public static func parse(
        securityClasses: String,
        accessVectors: String,
        initialSIDs: String,
        files: DefinitionFilePaths = .bareNames
    ) throws(InputError) -> FlaskDefinitions {
        try parse(
            securityClasses: Array(securityClasses.utf8),
            accessVectors: Array(accessVectors.utf8),
            initialSIDs: Array(initialSIDs.utf8),
            files: files)
    }

    /// Parses the three files' raw bytes (which need not be valid UTF-8).
    public static func parse(
        securityClasses: [UInt8],
        accessVectors: [UInt8],
        initialSIDs: [UInt8],
        files: DefinitionFilePaths = .bareNames
    ) throws(InputError) -> FlaskDefinitions {
        let classes = try FlaskDefinitionsParser.parseSecurityClasses(bytes: securityClasses, file: files.securityClasses)
        let vectors = try FlaskDefinitionsParser.parseAccessVectors(bytes: accessVectors, file: files.accessVectors)
        let sids = try FlaskDefinitionsParser.parseInitialSIDs(bytes: initialSIDs, file: files.initialSIDs)
        return try FlaskDefinitions(securityClasses: classes, accessVectors: vectors, initialSIDs: sids)
    }

    /// Reads `security_classes`, `access_vectors` and `initial_sids` from `directory`.
    public static func load(directory: String) throws(InputError) -> FlaskDefinitions {
        try load(files: DefinitionFilePaths(directory: directory))
    }

    /// Reads the three files named in `files`.
    public static func load(files: DefinitionFilePaths) throws(InputError) -> FlaskDefinitions {
        try parse(
            securityClasses: readDefinitionsFile(files.securityClasses),
            accessVectors: readDefinitionsFile(files.accessVectors),
            initialSIDs: readDefinitionsFile(files.initialSIDs),
            files: files)
    }

    /// The whole of a file, or an `InputError` naming it.
    static func readDefinitionsFile(_ path: String) throws(InputError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError("no such file", file: path)
        }
        guard !isDirectory.boolValue else {
            throw InputError("is a directory, not a definitions file", file: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("cannot read file", file: path)
        }
        return [UInt8](data)
    }
}
