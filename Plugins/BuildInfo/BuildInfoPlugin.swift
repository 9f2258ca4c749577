import Foundation
import PackagePlugin

/// Embeds the git commit a build is made from into the target that uses this plugin, as
/// `BuildInfo.commit` in a generated `BuildInfo.swift` (under `.build/plugins/outputs`, never in git).
///
/// A prebuild command, so it runs before every build: `scripts/build-info.sh` (tested by
/// `VersionTests`) runs `git rev-parse HEAD` at the package root,
/// with `-dirty` when tracked files differ from that commit. The file is rewritten only when its
/// text changes, so an unchanged commit recompiles nothing. A checkout without git (a source
/// tarball, git not installed, or a package vendored inside another project's repository)
/// builds all the same and says "unknown".
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated", isDirectory: true)
        let script = context.package.directoryURL.appendingPathComponent("scripts/build-info.sh")
        return [
            .prebuildCommand(
                displayName: "Embedding the git commit in \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, context.package.directoryURL.path, output.path],
                outputFilesDirectory: output
            )
        ]
    }
}
