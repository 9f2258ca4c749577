import ArgoEngine
import DecisionTable
import Flask
import Sepol

/// Constraint and conditional expressions written back as policy source text.
enum ExpressionText {
    /// `u1 == u2 or t1 == { a_t b_t }` from libsepol's reverse Polish encoding.
    static func constraint(_ expression: [PolicyImage.ConstraintNode], policy: Policy) -> String {
        typealias Node = PolicyImage.ConstraintNode
        var stack: [String] = []
        for node in expression {
            switch node.kind {
            case .not:
                let a = stack.popLast() ?? "?"
                stack.append(a.hasPrefix("(") ? "not \(a)" : "not (\(a))")
            case .and, .or:
                let b = stack.popLast() ?? "?", a = stack.popLast() ?? "?"
                stack.append("(\(a) \(node.kind == .and ? "and" : "or") \(b))")
            case .attribute:
                stack.append("\(operands(node.attribute)) \(op(node.op, levels: node.attribute != Node.user && node.attribute != Node.type)) ")
                stack[stack.count - 1] = stack[stack.count - 1].trimmingSuffixSpace()
            case .names:
                let side = node.attribute & Node.target != 0 ? "2" : (node.attribute & Node.xtarget != 0 ? "3" : "1")
                let letter = node.attribute & Node.user != 0 ? "u" : node.attribute & Node.role != 0 ? "r" : "t"
                let names = node.names.map { v -> String in
                    switch letter {
                    case "u": policy.userName(v)
                    case "r": policy.roleName(v)
                    default: policy.typeName(v)
                    }
                }
                let set = names.count == 1 ? names[0] : "{ " + names.joined(separator: " ") + " }"
                stack.append("\(letter)\(side) \(node.op == .notEqual ? "!=" : "==") \(set)")
            }
        }
        var text = stack.last ?? ""
        if text.hasPrefix("(") && text.hasSuffix(")") && stack.count == 1 { text = String(text.dropFirst().dropLast()) }
        return text
    }

    private static func operands(_ attribute: UInt32) -> String {
        typealias Node = PolicyImage.ConstraintNode
        switch attribute {
        case Node.user: return "u1 u2"
        case Node.role: return "r1 r2"
        case Node.type: return "t1 t2"
        case Node.levelL1L2: return "l1 l2"
        case Node.levelL1H2: return "l1 h2"
        case Node.levelH1L2: return "h1 l2"
        case Node.levelH1H2: return "h1 h2"
        case Node.levelL1H1: return "l1 h1"
        case Node.levelL2H2: return "l2 h2"
        default: return "? ?"
        }
    }

    private static func op(_ op: PolicyImage.ConstraintNode.Operator, levels: Bool) -> String {
        switch op {
        case .equal: levels ? "eq" : "=="
        case .notEqual: "!="
        case .dominates: "dom"
        case .dominatedBy: "domby"
        case .incomparable: "incomp"
        }
    }

    /// "a conditional rule grants it when (expr), but name=false": why a switched-off rule does not apply.
    static func gatedGrant(entry: Int, conditional: Int, te: TypeEnforcement) -> String {
        let policy = te.policy
        let cond = policy.image.conditionals[conditional]
        var names: [UInt32] = []
        for case .boolean(let v) in cond.expression where !names.contains(v) { names.append(v) }
        let values = names.map { "\(policy.booleanName($0))=\(te.booleans[Int($0) - 1])" }
        let branch = cond.trueEntries.contains(entry) ? "" : "!"
        return "a conditional rule grants it when \(branch)(\(condition(cond.expression, policy: policy))), but \(values.joined(separator: ", "))"
    }

    /// `a && !b` from a conditional expression in reverse Polish notation.
    static func condition(_ expression: [PolicyImage.ConditionToken], policy: Policy) -> String {
        var stack: [String] = []
        for token in expression {
            switch token {
            case .boolean(let v): stack.append(policy.booleanName(v))
            case .not: stack.append("!" + (stack.popLast() ?? "?"))
            default:
                let b = stack.popLast() ?? "?", a = stack.popLast() ?? "?"
                let sym = switch token {
                case .or: "||"
                case .and: "&&"
                case .xor: "^"
                case .equal: "=="
                default: "!="
                }
                stack.append("(\(a) \(sym) \(b))")
            }
        }
        return stack.last ?? ""
    }
}

private extension String {
    /// Splits "x y op " into "x op y".
    func trimmingSuffixSpace() -> String {
        let parts = split(separator: " ")
        guard parts.count == 3 else { return self }
        return "\(parts[0]) \(parts[2]) \(parts[1])"
    }
}
