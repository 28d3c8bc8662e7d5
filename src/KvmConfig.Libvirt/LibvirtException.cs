using System.Runtime.InteropServices;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using Native = KvmConfig.Libvirt.Interop.Libvirt;

namespace KvmConfig.Libvirt;

/// <summary>
/// A libvirt call failed. Carries libvirt's own error (its <c>virErrorNumber</c> code, the <c>virErrorDomain</c> that
/// raised it and its message), the C function that failed and what it was applied to, so that a caller can both
/// print it and decide on it (a vanished domain is <see cref="NoDomain"/>).
/// </summary>
public sealed class LibvirtException : KvmConfigException
{
    /// <summary><c>VIR_ERR_NO_CONNECT</c>: no connection driver could open the URI.</summary>
    public const int NoConnect = 5;

    /// <summary><c>VIR_ERR_INVALID_ARG</c>.</summary>
    public const int InvalidArg = 8;

    /// <summary><c>VIR_ERR_OPERATION_FAILED</c>.</summary>
    public const int OperationFailed = 9;

    /// <summary><c>VIR_ERR_XML_ERROR</c>: the XML document does not parse or is not a valid definition.</summary>
    public const int XmlError = 27;

    /// <summary><c>VIR_ERR_OPERATION_DENIED</c>: read-only connection or policy.</summary>
    public const int OperationDenied = 29;

    /// <summary><c>VIR_ERR_XML_DETAIL</c>: the XML parser's own error (the document is not well-formed).</summary>
    public const int XmlDetail = 35;

    /// <summary><c>VIR_ERR_SYSTEM_ERROR</c>: an OS call failed (no socket, connection refused, EPERM).</summary>
    public const int SystemError = 38;

    /// <summary><c>VIR_ERR_NO_DOMAIN</c>: no domain of that name or it has disappeared.</summary>
    public const int NoDomain = 42;

    /// <summary><c>VIR_ERR_AUTH_FAILED</c>.</summary>
    public const int AuthFailed = 45;

    /// <summary><c>VIR_ERR_OPERATION_INVALID</c>: not valid in the domain's state (e.g. a live change on a shut-off domain).</summary>
    public const int OperationInvalid = 55;

    /// <summary><c>VIR_ERR_CONFIG_UNSUPPORTED</c>: the configuration is valid XML that this driver cannot run.</summary>
    public const int ConfigUnsupported = 67;

    /// <summary>
    /// <c>VIR_ERR_ARGUMENT_UNSUPPORTED</c>: a flag or value this driver does not support (with <c>ENFORCE_STATS</c>, a
    /// statistics group it does not give).
    /// </summary>
    public const int ArgumentUnsupported = 74;

    /// <summary><c>VIR_ERR_ACCESS_DENIED</c>: the access-control driver refused.</summary>
    public const int AccessDenied = 88;

    /// <summary><c>VIR_ERR_XML_INVALID_SCHEMA</c>: refused by the RNG schema (define with validation).</summary>
    public const int XmlInvalidSchema = 92;

    private LibvirtException(DiagnosticDescriptor descriptor, string message, int code, int errorDomain, string libvirtMessage, string operation, string? target, string? hint, Exception? inner = null)
        : base(descriptor, message, target, hint, inner)
    {
        Code = code;
        ErrorDomain = errorDomain;
        LibvirtMessage = libvirtMessage;
        Operation = operation;
    }

    /// <summary>libvirt's <c>virErrorNumber</c> (see the constants of this class); 0 when libvirt set none.</summary>
    public int Code { get; }

    /// <summary>libvirt's <c>virErrorDomain</c>: which part of libvirt raised it (10 QEMU, 13 remote, 7 RPC, ...).</summary>
    public int ErrorDomain { get; }

    /// <summary>libvirt's message, as it gave it.</summary>
    public string LibvirtMessage { get; }

    /// <summary>The C function that failed, e.g. <c>virDomainPinVcpuFlags</c>.</summary>
    public string Operation { get; }

    /// <summary>
    /// Copies the calling thread's last libvirt error into an exception. Call it right after the failing call, on the
    /// same thread, before any other libvirt call or <c>await</c>: libvirt keeps one last error per OS thread.
    /// </summary>
    /// <param name="operation">The C function that failed.</param>
    /// <param name="target">The URI or domain it was applied to.</param>
    /// <param name="connecting">True when opening a connection failed: the failure is then "cannot connect"
    /// (<see cref="Rules.LibvirtUnavailable"/>) rather than a failed operation.</param>
    internal static LibvirtException FromLastError(string operation, string? target, bool connecting = false)
    {
        var error = default(Native.Error);
        int code = Native.CopyLastError(ref error);
        string message;
        int domain;
        try
        {
            message = code == 0 ? "no error detail from libvirt" : Marshal.PtrToStringUTF8(error.Message) ?? "no message";
            domain = error.Domain;
        }
        finally
        {
            Native.ResetError(ref error);
        }

        DiagnosticDescriptor descriptor = connecting ? Rules.LibvirtUnavailable : Rules.LibvirtError;
        string where = target is null ? "" : $" ({target})";
        return new LibvirtException(descriptor, $"{operation}{where}: {message}", code, domain, message, operation, target, HintFor(code, connecting, RemoteHost(target)));
    }

    /// <summary>A domain that was there a moment ago and is not any more (found missing before a change).</summary>
    internal static LibvirtException Vanished(string name, string operation) =>
        new(Rules.LibvirtError, $"{operation} ({name}): domain '{name}' no longer exists", NoDomain, 0, $"domain '{name}' no longer exists", operation, name, HintFor(NoDomain, false, null));

    /// <summary>The library itself is missing or fails to load.</summary>
    internal static LibvirtException NotInstalled(Exception inner) =>
        new(Rules.LibvirtUnavailable, $"libvirt is not installed: {inner.Message}", 0, 0, inner.Message, "dlopen", Native.Library,
            "install the libvirt client library (Debian/Ubuntu: apt-get install libvirt0; RHEL: dnf install libvirt-libs)", inner);

    // The host part of a URI such as qemu+ssh://root@kvm1/system; null for a local one (qemu:///system).
    private static string? RemoteHost(string? uri) =>
        uri is not null && System.Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed) && !string.IsNullOrEmpty(parsed.Host) ? parsed.Host : null;

    private static string HintFor(int code, bool connecting, string? remoteHost) => code switch
    {
        NoConnect or SystemError when connecting && remoteHost is not null =>
            $"{remoteHost} did not answer: check that it is reachable (for qemu+ssh, ssh to it as that user with a key, without a password prompt) and that libvirtd runs there (virsh -c URI version)",
        NoConnect when connecting => "check the URI (qemu:///system, qemu+ssh://user@host/system) and that the driver's package is installed (libvirt-daemon-driver-qemu)",
        SystemError when connecting => "is libvirtd running? Start it (systemctl start libvirtd, or libvirtd -d), or name another host with --connect",
        AuthFailed or AccessDenied or OperationDenied => "run as root or as a member of the libvirt group, or open a read-write connection (polkit may refuse otherwise)",
        NoDomain => "virsh list --all shows the domains libvirt knows; define the VM first or fix its name in the declaration",
        XmlError or XmlDetail or XmlInvalidSchema or ConfigUnsupported => "libvirt refused the domain XML: run with --dry-run to see it, and check it with virt-xml-validate",
        OperationInvalid => "the domain changed state during the operation; run the command again",
        _ when connecting && !Environment.IsPrivilegedProcess =>
            "a user other than root needs libvirt's permission (polkit, or the libvirt group's socket): run as root, or ask for access, or read a capture with --sysroot",
        _ when connecting => "check the URI and that libvirtd is running and reachable",
        _ => "see libvirtd's log (journalctl -u libvirtd, or /var/log/libvirt/libvirtd.log)",
    };
}
