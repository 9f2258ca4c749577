/// A `class NAME` line of `security_classes`.
public struct SecurityClassDeclaration: Sendable, Hashable, Codable {
    public var name: String
    public var location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

/// One `class NAME [inherits COMMON] { … }` block of `access_vectors`, its permissions
/// already numbered (inherited ones first).
public struct ClassAccessVectors: Sendable, Hashable, Codable {
    public var className: String
    public var inherits: String?
    public var permissions: [PermissionDefinition]
    /// Where the class name is written in `access_vectors`.
    public var location: SourceLocation

    public init(className: String, inherits: String?, permissions: [PermissionDefinition], location: SourceLocation) {
        self.className = className
        self.inherits = inherits
        self.permissions = permissions
        self.location = location
    }
}

/// Everything `access_vectors` defines, in file order.
public struct AccessVectorDefinitions: Sendable, Equatable, Codable {
    public var commons: [CommonDefinition]
    public var classes: [ClassAccessVectors]

    public init(commons: [CommonDefinition], classes: [ClassAccessVectors]) {
        self.commons = commons
        self.classes = classes
    }
}

/// Parsers for the three FLASK definitions files. Each takes the file's text (or raw
/// bytes) and the name to use in diagnostics, and throws an `InputError` naming file, line
/// and column for anything but comments, whitespace and well-formed statements.
public enum FlaskDefinitionsParser {
    /// Words that cannot be used as names.
    static let keywords: Set<String> = ["class", "common", "inherits", "sid"]
    /// An access vector is 32 bits wide.
    public static let maximumPermissionsPerClass = 32

    // MARK: security_classes

    public static func parseSecurityClasses(_ text: String, file: String) throws(InputError) -> [SecurityClassDeclaration] {
        try parseSecurityClasses(bytes: Array(text.utf8), file: file)
    }

    public static func parseSecurityClasses(bytes: [UInt8], file: String) throws(InputError) -> [SecurityClassDeclaration] {
        try DefinitionsLexer.rejectControlCharacters(bytes, file: file)
        var cursor = TokenCursor(bytes: bytes, file: file)
        var declarations: [SecurityClassDeclaration] = []
        var seen: [String: SecurityClassDeclaration] = [:]  // by upper-cased name, as in C macros
        while let keyword = cursor.next() {
            guard keyword.isKeyword("class") else {
                let hint = keyword.isKeyword("sid") ? " (initial SIDs belong in initial_sids)" : ""
                throw cursor.error("expected 'class', found \(describe(keyword))\(hint)", at: keyword)
            }
            let nameToken = try cursor.expectName(after: keyword, kind: "class")
            let name = nameToken.text
            if let first = seen[name.uppercased()] {
                throw cursor.error(
                    duplicateMessage("class", name, first: first.name, at: first.location, macro: "SECCLASS_"),
                    at: nameToken)
            }
            guard declarations.count < Int(UInt16.max) else {
                throw cursor.error("too many classes: class values are 16 bits, at most \(UInt16.max)", at: nameToken)
            }
            let declaration = SecurityClassDeclaration(name: name, location: cursor.location(of: nameToken))
            seen[name.uppercased()] = declaration
            declarations.append(declaration)
        }
        return declarations
    }

    // MARK: initial_sids

    public static func parseInitialSIDs(_ text: String, file: String) throws(InputError) -> [InitialSIDDefinition] {
        try parseInitialSIDs(bytes: Array(text.utf8), file: file)
    }

    public static func parseInitialSIDs(bytes: [UInt8], file: String) throws(InputError) -> [InitialSIDDefinition] {
        try DefinitionsLexer.rejectControlCharacters(bytes, file: file)
        var cursor = TokenCursor(bytes: bytes, file: file)
        var sids: [InitialSIDDefinition] = []
        var seen: [String: InitialSIDDefinition] = [:]  // by upper-cased name, as in C macros
        while let keyword = cursor.next() {
            guard keyword.isKeyword("sid") else {
                let hint = keyword.isKeyword("class") ? " (classes belong in security_classes)" : ""
                throw cursor.error("expected 'sid', found \(describe(keyword))\(hint)", at: keyword)
            }
            let nameToken = try cursor.expectName(after: keyword, kind: "SID")
            let name = nameToken.text
            if let first = seen[name.uppercased()] {
                throw cursor.error(
                    duplicateMessage("initial SID", name, first: first.name, at: first.location, macro: "SECINITSID_"),
                    at: nameToken)
            }
            let sid = InitialSIDDefinition(name: name, value: UInt32(sids.count + 1), location: cursor.location(of: nameToken))
            seen[name.uppercased()] = sid
            sids.append(sid)
        }
        // Xen's generator insists on at least one SID (SECINITSID_NUM must be positive).
        guard !sids.isEmpty else {
            throw InputError("no initial SIDs: expected at least one 'sid NAME'", file: file, line: 1, column: 1)
        }
        return sids
    }

    // MARK: access_vectors

    public static func parseAccessVectors(_ text: String, file: String) throws(InputError) -> AccessVectorDefinitions {
        try parseAccessVectors(bytes: Array(text.utf8), file: file)
    }

    public static func parseAccessVectors(bytes: [UInt8], file: String) throws(InputError) -> AccessVectorDefinitions {
        try DefinitionsLexer.rejectControlCharacters(bytes, file: file)
        var parser = AccessVectorsParser(cursor: TokenCursor(bytes: bytes, file: file))
        try parser.parse()
        return AccessVectorDefinitions(commons: parser.commons, classes: parser.classes)
    }

    /// "duplicate class 'a' (first declared at line 1)", or, for names that differ only in
    /// case, that both would become the same C macro.
    static func duplicateMessage(
        _ kind: String, _ name: String, first: String, at location: SourceLocation, macro prefix: String
    ) -> String {
        let line = location.line ?? 0
        if first == name { return "duplicate \(kind) '\(name)' (first declared at line \(line))" }
        return "\(kind) '\(name)' and '\(first)' (line \(line)) would both be C macro \(prefix)\(name.uppercased())"
    }

    /// How a token reads in a diagnostic: `'name'`, `keyword 'class'`, `'{'`.
    static func describe(_ token: DefinitionsToken) -> String {
        if token.kind == .word, keywords.contains(token.text) { return "keyword '\(token.text)'" }
        return "'\(token.displayText)'"
    }
}

/// Walks the tokens of one file and builds located diagnostics.
struct TokenCursor {
    let file: String
    let tokens: [DefinitionsToken]
    private var position = 0

    init(bytes: [UInt8], file: String) {
        self.file = file
        self.tokens = DefinitionsLexer.tokens(of: bytes)
    }

    mutating func next() -> DefinitionsToken? {
        guard position < tokens.count else { return nil }
        defer { position += 1 }
        return tokens[position]
    }

    func peek() -> DefinitionsToken? {
        position < tokens.count ? tokens[position] : nil
    }

    func location(of token: DefinitionsToken) -> SourceLocation {
        SourceLocation(file: file, line: token.line, column: token.column)
    }

    func error(_ message: String, at token: DefinitionsToken) -> InputError {
        InputError(message, at: location(of: token))
    }

    /// The name after `previous` (a keyword); `kind` says what the name is for.
    mutating func expectName(after previous: DefinitionsToken, kind: String) throws(InputError) -> DefinitionsToken {
        let keyword = previous.text
        guard let token = next() else {
            throw error("expected a \(kind) name after '\(keyword)', found end of file", at: previous)
        }
        try checkName(token, kind: kind, after: keyword)
        return token
    }

    func checkName(_ token: DefinitionsToken, kind: String, after keyword: String) throws(InputError) {
        guard token.kind == .word, !FlaskDefinitionsParser.keywords.contains(token.text) else {
            throw error(
                "expected a \(kind) name after '\(keyword)', found \(FlaskDefinitionsParser.describe(token))",
                at: token)
        }
        guard DefinitionsLexer.isValidName(token.bytes) else {
            throw error(
                "invalid \(kind) name '\(token.displayText)': use letters, digits and '_', not starting with a digit",
                at: token)
        }
    }
}

/// The state of one pass over `access_vectors`.
private struct AccessVectorsParser {
    var cursor: TokenCursor
    var commons: [CommonDefinition] = []
    var classes: [ClassAccessVectors] = []

    mutating func parse() throws(InputError) {
        while let keyword = cursor.next() {
            if keyword.isKeyword("common") {
                try parseCommon(keyword)
            } else if keyword.isKeyword("class") {
                try parseClass(keyword)
            } else {
                throw cursor.error(
                    "expected 'class' or 'common', found \(FlaskDefinitionsParser.describe(keyword))", at: keyword)
            }
        }
    }

    private mutating func parseCommon(_ keyword: DefinitionsToken) throws(InputError) {
        let nameToken = try cursor.expectName(after: keyword, kind: "common")
        let name = nameToken.text
        if let first = commons.first(where: { $0.name == name }) {
            throw cursor.error(
                "duplicate common '\(name)' (first defined at line \(first.location.line ?? 0))", at: nameToken)
        }
        let owner = "common '\(name)'"
        guard let open = cursor.next() else {
            throw cursor.error("expected '{' after \(owner), found end of file", at: nameToken)
        }
        guard open.kind == .openBrace else {
            throw cursor.error("expected '{' after \(owner), found \(FlaskDefinitionsParser.describe(open))", at: open)
        }
        let permissions = try parsePermissionBlock(
            owner: owner, macroPrefix: "COMMON_\(name.uppercased())__", open: open, inherited: [])
        commons.append(CommonDefinition(name: name, permissions: permissions, location: cursor.location(of: nameToken)))
    }

    private mutating func parseClass(_ keyword: DefinitionsToken) throws(InputError) {
        let nameToken = try cursor.expectName(after: keyword, kind: "class")
        let name = nameToken.text
        if let first = classes.first(where: { $0.className == name }) {
            throw cursor.error(
                "duplicate access vectors for class '\(name)' (first defined at line \(first.location.line ?? 0))",
                at: nameToken)
        }
        let owner = "class '\(name)'"
        var common: CommonDefinition?
        if let next = cursor.peek(), next.isKeyword("inherits") {
            _ = cursor.next()
            let commonToken = try cursor.expectName(after: next, kind: "common")
            guard let found = commons.first(where: { $0.name == commonToken.text }) else {
                throw cursor.error(
                    "unknown common '\(commonToken.text)' (commons must be defined before the classes that inherit them)",
                    at: commonToken)
            }
            common = found
        }
        let inherited = (common?.permissions ?? []).map { permission in
            var permission = permission
            permission.inheritedFrom = common?.name
            return permission
        }
        var permissions = inherited
        if let open = cursor.peek(), open.kind == .openBrace {
            _ = cursor.next()
            permissions = try parsePermissionBlock(
                owner: owner, macroPrefix: "\(name.uppercased())__", open: open, inherited: inherited)
        } else if common == nil {
            // Only a class that inherits may leave out its own block.
            guard let found = cursor.peek() else {
                throw cursor.error("expected '{' or 'inherits' after \(owner), found end of file", at: nameToken)
            }
            throw cursor.error(
                "expected '{' or 'inherits' after \(owner), found \(FlaskDefinitionsParser.describe(found))", at: found)
        }
        classes.append(ClassAccessVectors(
            className: name, inherits: common?.name, permissions: permissions, location: cursor.location(of: nameToken)))
    }

    /// Reads permission names up to the `}` closing `open`, numbering them after `inherited`.
    private mutating func parsePermissionBlock(
        owner: String, macroPrefix: String, open: DefinitionsToken, inherited: [PermissionDefinition]
    ) throws(InputError) -> [PermissionDefinition] {
        var permissions = inherited
        // Each permission's C macro spelling, computed once (uppercasing every earlier name for
        // every new one was most of the cost of parsing the built-in definitions at startup).
        var macroNames = inherited.map { $0.name.uppercased() }
        while true {
            guard let token = cursor.next() else {
                throw cursor.error("missing '}' to close the block of \(owner)", at: open)
            }
            switch token.kind {
            case .closeBrace:
                return permissions
            case .openBrace:
                throw cursor.error("unexpected '{' inside the block of \(owner)", at: token)
            case .word:
                if FlaskDefinitionsParser.keywords.contains(token.text) {
                    throw cursor.error(
                        "missing '}' before keyword '\(token.text)' (block of \(owner) opened at line \(open.line))",
                        at: token)
                }
                try cursor.checkName(token, kind: "permission", after: "{")
                let name = token.text
                let macroName = name.uppercased()
                if let index = macroNames.firstIndex(of: macroName) {
                    let first = permissions[index]
                    if first.name != name {
                        throw cursor.error(
                            "permissions '\(name)' and '\(first.name)' (line \(first.location.line ?? 0)) of \(owner) "
                                + "would both be C macro \(macroPrefix)\(name.uppercased())",
                            at: token)
                    }
                    if let common = first.inheritedFrom {
                        throw cursor.error(
                            "permission '\(name)' of \(owner) is already inherited from common '\(common)'", at: token)
                    }
                    throw cursor.error(
                        "duplicate permission '\(name)' in \(owner) (first at line \(first.location.line ?? 0))",
                        at: token)
                }
                guard permissions.count < FlaskDefinitionsParser.maximumPermissionsPerClass else {
                    throw cursor.error(
                        "too many permissions in \(owner): '\(name)' would be number 33, "
                            + "but an access vector has only 32 bits",
                        at: token)
                }
                permissions.append(PermissionDefinition(
                    name: name, mask: UInt32(1) << UInt32(permissions.count), location: cursor.location(of: token)))
                macroNames.append(macroName)
            }
        }
    }
}
