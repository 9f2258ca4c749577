import Foundation

/// The required structure of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json, OASIS), written out
/// for the objects `argus check --format sarif` emits, so tests need no network: required
/// properties, the properties each object may have (the schema sets `additionalProperties: false`;
/// extensions go in `properties`), enumerations, minimums and URI formats. Returns one line per
/// problem, with the JSON path.
enum SARIFSchema {
    static func validate(_ log: Any) -> [String] {
        var v = Validator()
        v.sarifLog(log, "$")
        return v.problems
    }

    private struct Validator {
        var problems: [String] = []

        mutating func problem(_ path: String, _ text: String) { problems.append("\(path): \(text)") }

        mutating func object(_ value: Any?, _ path: String, required: [String], allowed: [String]) -> [String: Any]? {
            guard let object = value as? [String: Any] else { problem(path, "must be an object"); return nil }
            for key in required where object[key] == nil { problem(path, "required property '\(key)' missing") }
            for key in object.keys where !allowed.contains(key) && !required.contains(key) {
                problem(path, "property '\(key)' is not defined by the schema (additionalProperties: false)")
            }
            if let bag = object["properties"] { propertyBag(bag, path + ".properties") }
            return object
        }

        mutating func array(_ value: Any?, _ path: String, each: (inout Validator, Any, String) -> Void) {
            guard let value else { return }
            guard let items = value as? [Any] else { problem(path, "must be an array"); return }
            for (i, item) in items.enumerated() { each(&self, item, "\(path)[\(i)]") }
        }

        mutating func string(_ value: Any?, _ path: String, oneOf choices: [String]? = nil) {
            guard let value else { return }
            guard let text = value as? String else { problem(path, "must be a string"); return }
            if let choices, !choices.contains(text) { problem(path, "'\(text)' is not one of \(choices)") }
        }

        mutating func integer(_ value: Any?, _ path: String, minimum: Int) {
            guard let value else { return }
            guard let number = value as? Int else { problem(path, "must be an integer"); return }
            if number < minimum { problem(path, "\(number) is below the minimum \(minimum)") }
        }

        mutating func boolean(_ value: Any?, _ path: String) {
            guard let value else { return }
            if value as? Bool == nil { problem(path, "must be a boolean") }
        }

        /// format: uri (absolute) or uri-reference (may be relative).
        mutating func uri(_ value: Any?, _ path: String, absolute: Bool) {
            guard let value else { return }
            guard let text = value as? String, let url = URL(string: text) else { problem(path, "must be a URI"); return }
            if absolute && url.scheme == nil { problem(path, "'\(text)' must be an absolute URI") }
        }

        mutating func propertyBag(_ value: Any?, _ path: String) {
            guard let bag = value as? [String: Any] else { problem(path, "must be an object"); return }
            if let tags = bag["tags"] {
                guard let list = tags as? [String] else { problem(path + ".tags", "must be an array of strings"); return }
                if Set(list).count != list.count { problem(path + ".tags", "items must be unique") }
            }
        }

        // MARK: objects

        mutating func sarifLog(_ value: Any, _ path: String) {
            guard let log = object(value, path, required: ["version", "runs"], allowed: ["$schema", "inlineExternalProperties", "properties"]) else { return }
            string(log["version"], path + ".version", oneOf: ["2.1.0"])
            uri(log["$schema"], path + ".$schema", absolute: true)
            guard log["runs"] is [Any] || log["runs"] is NSNull else { problem(path + ".runs", "must be an array"); return }
            array(log["runs"], path + ".runs") { $0.run($1, $2) }
        }

        mutating func run(_ value: Any, _ path: String) {
            let allowed = ["invocations", "conversion", "language", "versionControlProvenance", "originalUriBaseIds", "artifacts",
                           "logicalLocations", "graphs", "results", "automationDetails", "runAggregates", "baselineGuid",
                           "redactionTokens", "defaultEncoding", "defaultSourceLanguage", "newlineSequences", "columnKind",
                           "externalPropertyFileReferences", "threadFlowLocations", "taxonomies", "addresses", "translations",
                           "policies", "webRequests", "webResponses", "specialLocations", "properties"]
            guard let run = object(value, path, required: ["tool"], allowed: allowed) else { return }
            var ruleIDs: [String] = []
            if let tool = object(run["tool"], path + ".tool", required: ["driver"], allowed: ["extensions", "properties"]) {
                ruleIDs = toolComponent(tool["driver"], path + ".tool.driver")
            }
            array(run["invocations"], path + ".invocations") { $0.invocation($1, $2) }
            array(run["results"], path + ".results") { v, item, p in v.result(item, p, ruleIDs: ruleIDs) }
        }

        /// Returns the rules' ids, for results' ruleIndex.
        mutating func toolComponent(_ value: Any?, _ path: String) -> [String] {
            let allowed = ["guid", "organization", "product", "productSuite", "shortDescription", "fullDescription", "fullName",
                           "version", "semanticVersion", "dottedQuadFileVersion", "releaseDateUtc", "downloadUri", "informationUri",
                           "globalMessageStrings", "notifications", "rules", "taxa", "locations", "language", "contents",
                           "isComprehensive", "localizedDataSemanticVersion", "minimumRequiredLocalizedDataSemanticVersion",
                           "associatedComponent", "translationMetadata", "supportedTaxonomies", "properties"]
            guard let driver = object(value, path, required: ["name"], allowed: allowed) else { return [] }
            string(driver["name"], path + ".name")
            string(driver["version"], path + ".version")
            uri(driver["informationUri"], path + ".informationUri", absolute: true)
            var ids: [String] = []
            array(driver["rules"], path + ".rules") { v, item, p in
                v.reportingDescriptor(item, p)
                ids.append((item as? [String: Any])?["id"] as? String ?? "")
            }
            return ids
        }

        mutating func reportingDescriptor(_ value: Any, _ path: String) {
            let allowed = ["deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames", "shortDescription", "fullDescription",
                           "messageStrings", "defaultConfiguration", "helpUri", "help", "relationships", "properties"]
            guard let rule = object(value, path, required: ["id"], allowed: allowed) else { return }
            string(rule["id"], path + ".id")
            for key in ["shortDescription", "fullDescription", "help"] where rule[key] != nil {
                multiformatMessageString(rule[key], path + "." + key)
            }
            uri(rule["helpUri"], path + ".helpUri", absolute: true)
            if let configuration = object(rule["defaultConfiguration"] ?? [String: Any](), path + ".defaultConfiguration",
                                          required: [], allowed: ["enabled", "level", "rank", "parameters", "properties"]) {
                string(configuration["level"], path + ".defaultConfiguration.level", oneOf: ["none", "note", "warning", "error"])
                boolean(configuration["enabled"], path + ".defaultConfiguration.enabled")
            }
        }

        mutating func multiformatMessageString(_ value: Any?, _ path: String) {
            guard let m = object(value, path, required: ["text"], allowed: ["markdown", "properties"]) else { return }
            string(m["text"], path + ".text")
            string(m["markdown"], path + ".markdown")
        }

        mutating func message(_ value: Any?, _ path: String) {
            guard let m = object(value, path, required: [], allowed: ["text", "markdown", "id", "arguments", "properties"]) else { return }
            if m["text"] == nil && m["id"] == nil { problem(path, "a message needs 'text' or 'id'") }
            string(m["text"], path + ".text")
        }

        mutating func invocation(_ value: Any, _ path: String) {
            let allowed = ["commandLine", "arguments", "responseFiles", "startTimeUtc", "endTimeUtc", "exitCode",
                           "ruleConfigurationOverrides", "notificationConfigurationOverrides", "toolExecutionNotifications",
                           "toolConfigurationNotifications", "exitCodeDescription", "exitSignalName", "exitSignalNumber",
                           "processStartFailureMessage", "machine", "account", "processId", "executableLocation",
                           "workingDirectory", "environmentVariables", "stdin", "stdout", "stderr", "stdoutStderr", "properties"]
            guard let invocation = object(value, path, required: ["executionSuccessful"], allowed: allowed) else { return }
            boolean(invocation["executionSuccessful"], path + ".executionSuccessful")
            if let code = invocation["exitCode"], !(code is Int) { problem(path + ".exitCode", "must be an integer") }
        }

        mutating func result(_ value: Any, _ path: String, ruleIDs: [String]) {
            let allowed = ["guid", "correlationGuid", "ruleId", "ruleIndex", "rule", "kind", "level", "analysisTarget", "locations",
                           "hostedViewerUri", "partialFingerprints", "fingerprints", "stacks", "codeFlows", "graphs",
                           "graphTraversals", "relatedLocations", "suppressions", "baselineState", "rank", "attachments",
                           "workItemUris", "provenance", "fixes", "taxa", "webRequest", "webResponse", "properties"]
            guard let result = object(value, path, required: ["message"], allowed: allowed) else { return }
            message(result["message"], path + ".message")
            string(result["ruleId"], path + ".ruleId")
            integer(result["ruleIndex"], path + ".ruleIndex", minimum: -1)
            if let index = result["ruleIndex"] as? Int, index >= 0 {
                if index >= ruleIDs.count {
                    problem(path + ".ruleIndex", "\(index) is past the driver's \(ruleIDs.count) rules")
                } else if let id = result["ruleId"] as? String, ruleIDs[index] != id {
                    problem(path + ".ruleIndex", "points at rule '\(ruleIDs[index])', not ruleId '\(id)'")
                }
            }
            string(result["kind"], path + ".kind", oneOf: ["notApplicable", "pass", "fail", "review", "open", "informational"])
            string(result["level"], path + ".level", oneOf: ["none", "note", "warning", "error"])
            string(result["baselineState"], path + ".baselineState", oneOf: ["new", "unchanged", "updated", "absent"])
            array(result["locations"], path + ".locations") { $0.location($1, $2) }
            array(result["relatedLocations"], path + ".relatedLocations") { $0.location($1, $2) }
            for key in ["partialFingerprints", "fingerprints"] where result[key] != nil {
                guard let map = result[key] as? [String: Any], map.values.allSatisfy({ $0 is String }) else {
                    problem(path + "." + key, "must map names to strings"); continue
                }
            }
            array(result["suppressions"], path + ".suppressions") { v, item, p in
                guard let s = v.object(item, p, required: ["kind"], allowed: ["guid", "status", "justification", "location", "properties"]) else { return }
                v.string(s["kind"], p + ".kind", oneOf: ["inSource", "external"])
                v.string(s["status"], p + ".status", oneOf: ["accepted", "underReview", "rejected"])
                v.string(s["justification"], p + ".justification")
            }
        }

        mutating func location(_ value: Any, _ path: String) {
            let allowed = ["id", "physicalLocation", "logicalLocations", "message", "annotations", "relationships", "properties"]
            guard let location = object(value, path, required: [], allowed: allowed) else { return }
            integer(location["id"], path + ".id", minimum: -1)
            if location["message"] != nil { message(location["message"], path + ".message") }
            guard let physicalValue = location["physicalLocation"] else { return }
            let p = path + ".physicalLocation"
            guard let physical = object(physicalValue, p, required: [], allowed: ["address", "artifactLocation", "region", "contextRegion", "properties"]) else { return }
            if physical["address"] == nil && physical["artifactLocation"] == nil {
                problem(p, "a physicalLocation needs 'address' or 'artifactLocation'")
            }
            if let artifact = object(physical["artifactLocation"] ?? [String: Any](), p + ".artifactLocation", required: [],
                                     allowed: ["uri", "uriBaseId", "index", "description", "properties"]) {
                uri(artifact["uri"], p + ".artifactLocation.uri", absolute: false)
            }
            if let regionValue = physical["region"],
               let region = object(regionValue, p + ".region", required: [], allowed: [
                "startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength", "byteOffset", "byteLength",
                "snippet", "message", "sourceLanguage", "properties"]) {
                for key in ["startLine", "startColumn", "endLine", "endColumn"] { integer(region[key], p + ".region." + key, minimum: 1) }
            }
        }
    }
}
