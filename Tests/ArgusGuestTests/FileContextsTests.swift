import ArgusGuest
import Flask
import Testing

/// libselinux's `selabel_lookup` on the example's file_contexts, against expectations written
/// here (what `matchpathcon -m chr_file` would print for each path).
@Suite struct FileContextsTests {
    static let expectations: [(path: String, kind: FileContexts.FileKind, context: String?)] = [
        // The exact entry beats the regular expression that also matches.
        ("/dev/argo_dgram", .characterDevice, "system_u:object_r:argo_dgram_device_t:s0:c1"),
        ("/dev/argo_stream", .characterDevice, "system_u:object_r:argo_device_t:s0"),
        ("/dev/argo_ring", .characterDevice, "system_u:object_r:argo_device_t:s0"),
        // `-c` entries do not apply to a regular file: the /dev fallback does.
        ("/dev/argo_stream", .regularFile, "system_u:object_r:device_t:s0"),
        // The regular expression is anchored: argo_ followed by digits is not [a-z]+.
        ("/dev/argo_0", .characterDevice, "system_u:object_r:device_t:s0"),
        ("/dev/tty12", .characterDevice, "system_u:object_r:tty_device_t:s0"),
        ("/dev/null", .characterDevice, "system_u:object_r:device_t:s0"),
        // `--` (regular files only): nothing labels it as a character device.
        ("/usr/sbin/sshd", .characterDevice, nil),
        ("/usr/sbin/sshd", .regularFile, "system_u:object_r:sshd_exec_t:s0"),
        ("/etc/passwd", .regularFile, nil),
    ]

    @Test func exampleLookupsMatchExpectations() throws {
        for kind in [FileContexts.FileKind.characterDevice, .regularFile] {
            let cases = Self.expectations.filter { $0.kind == kind }
            let labels = try FileContexts.lookUp(cases.map(\.path), in: GuestFixtures.fileContextsPath, as: kind)
            #expect(labels.count == cases.count)
            for (c, label) in zip(cases, labels) {
                #expect(label == c.context, "\(c.path) as \(kind)")
            }
        }
    }

    @Test func defaultDevicesAreLabelledAndValidated() throws {
        let policy = try GuestFixtures.examplePolicy()
        let devices = try GuestDevices.labelled(GuestDevices.defaultPaths, fileContexts: GuestFixtures.fileContextsPath, policy: policy)
        #expect(devices.map(\.typeName) == ["argo_device_t", "argo_dgram_device_t"])
        #expect(devices.map(\.contextText) == ["system_u:object_r:argo_device_t:s0", "system_u:object_r:argo_dgram_device_t:s0:c1"])
    }

    @Test func unlabelledDeviceIsAnInputError() throws {
        let policy = try GuestFixtures.examplePolicy()
        #expect(throws: InputError("no entry labels /usr/sbin/sshd as a character device", file: GuestFixtures.fileContextsPath)) {
            try GuestDevices.labelled(["/usr/sbin/sshd"], fileContexts: GuestFixtures.fileContextsPath, policy: policy)
        }
    }

    @Test func labelOutsideThePolicyIsAnInputError() throws {
        let policy = try GuestFixtures.examplePolicy()
        try GuestFixtures.withFile("file_contexts", "/dev/argo_stream -c system_u:object_r:no_such_t:s0\n") { path in
            do {
                _ = try GuestDevices.labelled(["/dev/argo_stream"], fileContexts: path, policy: policy)
                Issue.record("an unknown type was accepted")
            } catch let error as InputError {
                #expect(error.location?.file == path)
                #expect(error.message.contains("unknown type 'no_such_t'"), "\(error.message)")
            }
        }
    }

    /// libselinux compiles regular expressions when it first looks up: a bad one is an error
    /// (it gives ENOENT, as if nothing matched, but logs why).
    @Test func invalidRegularExpressionIsNotANoMatch() throws {
        try GuestFixtures.withFile("file_contexts", "/dev(/.*)? system_u:object_r:device_t:s0\n/dev/argo_[ -c system_u:object_r:argo_device_t:s0\n") { path in
            do {
                _ = try FileContexts.lookUp(["/dev/argo_stream"], in: path)
                Issue.record("an invalid regular expression was accepted")
            } catch let error as InputError {
                #expect(error.location?.file == path)
                #expect(error.message.hasPrefix("libselinux: "), "\(error)")
                #expect(!error.message.contains("no entry"))
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func malformedFileContextsNamesTheLine() throws {
        try GuestFixtures.withFile("file_contexts", "/dev(/.*)? system_u:object_r:device_t:s0\n/dev/argo_stream -q system_u:object_r:argo_device_t:s0\n") { path in
            do {
                _ = try FileContexts.lookUp(["/dev/argo_stream"], in: path)
                Issue.record("an invalid file type was accepted")
            } catch let error as InputError {
                #expect(error.location?.file == path)
                #expect(error.location?.line == 2, "\(error)")
                #expect(!error.description.contains("\n"))
            }
        }
    }
}
