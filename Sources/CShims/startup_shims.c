/* What every swiftlet process does before main. */

/* The Swift runtime finds argv with a static constructor (CommandLine.cpp's ArgvGrabber) that
 * reads and parses /proc/self/maps to locate the initial stack, in every process. The link
 * drops that constructor (scripts/link-order/layout.ld); this one hands the runtime the argv
 * that glibc passes to constructors instead, through the runtime's own override hook. */
__attribute__((swiftcall)) extern void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc);

__attribute__((constructor)) static void sl_give_swift_argv(int argc, char **argv, char **envp) {
    (void)envp;
    _swift_stdlib_overrideUnsafeArgvArgc(argv, argc);
}
