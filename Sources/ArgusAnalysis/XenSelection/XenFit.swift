import Flask
import Foundation
import XenProfile

/// Would the policy load on the selected Xen, and do its own definitions number initial
/// SIDs as that Xen does? Deciding with a numbering the policy contradicts gives answers
/// about the wrong domains, so the deciding commands refuse (exit 2) unless `--force`.
public enum XenFit {
    /// The first reason not to decide, or nil.
    public static func refusal(policy: Policy, selected: SelectedXen, flaskDirectory: String?) -> String? {
        let xen = selected.profile.description
        if let own = XenSelection.ownInitialSIDNames(policyPath: policy.origin.path, flaskDirectory: flaskDirectory),
           own.names != selected.definitions.initialSIDNames {
            let name = own.names.first { selected.definitions.initialSIDNames.firstIndex(of: $0) != own.names.firstIndex(of: $0) }
                ?? own.names.first ?? "?"
            let ours = selected.definitions.initialSIDNames.firstIndex(of: name).map { String($0 + 1) } ?? "absent"
            let theirs = own.names.firstIndex(of: name).map { String($0 + 1) } ?? "absent"
            return "the policy's own definitions contradict \(xen): initial SID \(name) is \(theirs) in \(own.file), \(ours) on that Xen"
        }
        let validation = PolicyValidation(policy: policy, definitions: selected.definitions)
        if let first = validation.problems.first(where: \.refusesLoad) {
            return "the policy would not load on \(xen): \(first.message)"
        }
        return nil
    }
}
