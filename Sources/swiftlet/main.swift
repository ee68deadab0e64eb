// swiftlet: an OCI runtime with runc's command line.
#if canImport(Glibc)
import Glibc
#endif
import Runtime

let arguments = CommandLine.arguments
// The re-exec'd init must not touch anything else on its way in.
if arguments.count >= 2 && arguments[1] == "init" {
    InitProcess.main()
}
exit(CLI.main(Array(arguments.dropFirst())))
