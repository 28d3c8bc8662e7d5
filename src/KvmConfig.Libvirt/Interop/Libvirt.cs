using System.Runtime.InteropServices;

namespace KvmConfig.Libvirt.Interop;

/// <summary>
/// The libvirt C API (<c>libvirt.so.0</c>) calls kvmconfig makes, declared from Debian's <c>libvirt-dev</c> headers
/// (libvirt 9.0: <c>libvirt-host.h</c>, <c>libvirt-domain.h</c>, <c>libvirt-common.h</c>, <c>virterror.h</c>).
/// </summary>
/// <remarks>
/// <para>Ownership, call by call, as libvirt documents it:</para>
/// <list type="bullet">
/// <item><c>virConnectOpen*</c> returns a reference the caller drops with <c>virConnectClose</c>
/// (<see cref="SafeConnectHandle"/>); every <c>virDomainPtr</c> (lookup, define, list) is a reference dropped with
/// <c>virDomainFree</c> (<see cref="SafeDomainHandle"/>).</item>
/// <item>Strings returned as <c>char *</c> (<c>virConnectGetCapabilities</c>, <c>virDomainGetXMLDesc</c>,
/// <c>virDomainGetSchedulerType</c>) are the caller's and are released with <c>free()</c>: they come back here as
/// <see cref="IntPtr"/> and go through <see cref="TakeString"/>. <c>const char *</c> results
/// (<c>virDomainGetName</c>) belong to the object and are only copied.</item>
/// <item>Typed-parameter arrays the caller allocates are filled by libvirt, which may put <c>char *</c> strings in
/// them: <c>virTypedParamsClear</c> frees those, the caller frees the array. Arrays libvirt allocates
/// (<c>virConnectGetAllDomainStats</c>) are released whole with <c>virDomainStatsRecordListFree</c>.</item>
/// <item>The last error is per OS thread; <see cref="LibvirtException.FromLastError"/> copies it right after the
/// failing call, on the same thread, before anything else can call libvirt.</item>
/// </list>
/// </remarks>
internal static partial class Libvirt
{
    /// <summary>The soname every libvirt since 0.x ships; <see cref="LibvirtLibrary"/> tries the others.</summary>
    internal const string Library = "libvirt.so.0";

    // virDomainModificationImpact (libvirt-domain.h).
    internal const uint AffectCurrent = 0;
    internal const uint AffectLive = 1 << 0;
    internal const uint AffectConfig = 1 << 1;

    // virDomainXMLFlags: VIR_DOMAIN_XML_INACTIVE dumps the persistent definition instead of the running one.
    internal const uint XmlInactive = 1 << 1;

    // virDomainDefineFlags: VIR_DOMAIN_DEFINE_VALIDATE checks the document against libvirt's RNG schema.
    internal const uint DefineValidate = 1 << 0;

    // virConnectListAllDomainsFlags.
    internal const uint ListActive = 1 << 0;
    internal const uint ListInactive = 1 << 1;

    // virConnectGetAllDomainStatsFlags beyond the list filters above (which it shares): ENFORCE_STATS fails the call
    // when the driver does not know a requested group at all.
    internal const uint StatsEnforce = 1u << 31;

    // virTypedParameterType.
    internal const int TypedInt = 1;
    internal const int TypedUInt = 2;
    internal const int TypedLLong = 3;
    internal const int TypedULLong = 4;
    internal const int TypedDouble = 5;
    internal const int TypedBoolean = 6;
    internal const int TypedString = 7;

    // VIR_TYPED_PARAM_FIELD_LENGTH: the fixed size of virTypedParameter.field, NUL included.
    internal const int FieldLength = 80;

    /// <summary><c>virErrorFunc</c>: called by libvirt for every error when installed with virSetErrorFunc.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void ErrorFunc(IntPtr userData, IntPtr error);

    /// <summary><c>struct _virError</c> (virterror.h). Read only through a pointer libvirt owns or fills.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Error
    {
        public int Code;
        public int Domain;
        public IntPtr Message;
        public int Level;
        public IntPtr Conn;
        public IntPtr Dom;
        public IntPtr Str1;
        public IntPtr Str2;
        public IntPtr Str3;
        public int Int1;
        public int Int2;
        public IntPtr Net;
    }

    /// <summary><c>struct _virNodeInfo</c> (libvirt-host.h). <c>memory</c> is an <c>unsigned long</c>: 64 bits on
    /// the LP64 Linux targets kvmconfig supports.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct NodeInfo
    {
        public fixed byte Model[32];
        public ulong MemoryKiB;
        public uint Cpus;
        public uint Mhz;
        public uint Nodes;
        public uint Sockets;
        public uint Cores;
        public uint Threads;
    }

    /// <summary>
    /// <c>struct _virTypedParameter</c> (libvirt-common.h): an 80-byte name, an <c>int</c> type, then an 8-byte
    /// union (int, unsigned, long long, unsigned long long, double, char boolean, char * string) at offset 88.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 96)]
    internal unsafe struct TypedParameter
    {
        [FieldOffset(0)]
        public fixed byte Field[FieldLength];

        [FieldOffset(80)]
        public int Type;

        [FieldOffset(88)]
        public int Int;

        [FieldOffset(88)]
        public uint UInt;

        [FieldOffset(88)]
        public long LLong;

        [FieldOffset(88)]
        public ulong ULLong;

        [FieldOffset(88)]
        public double Double;

        [FieldOffset(88)]
        public byte Boolean;

        [FieldOffset(88)]
        public IntPtr String;
    }

    /// <summary><c>struct _virDomainStatsRecord</c>: the domain, its parameters, their count.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct DomainStatsRecord
    {
        public IntPtr Dom;
        public IntPtr Params;
        public int NParams;
    }

    // ---- library and errors

    [LibraryImport(Library, EntryPoint = "virInitialize")]
    internal static partial int Initialize();

    [LibraryImport(Library, EntryPoint = "virGetVersion")]
    internal static partial int GetVersion(out ulong libVer, IntPtr type, IntPtr typeVer);

    [LibraryImport(Library, EntryPoint = "virSetErrorFunc")]
    internal static partial void SetErrorFunc(IntPtr userData, IntPtr handler);

    /// <summary>Copies the thread's last error into <paramref name="to"/>; its strings must be released with
    /// <see cref="ResetError"/>. Returns the error code, 0 when there was none.</summary>
    [LibraryImport(Library, EntryPoint = "virCopyLastError")]
    internal static partial int CopyLastError(ref Error to);

    [LibraryImport(Library, EntryPoint = "virResetError")]
    internal static partial void ResetError(ref Error error);

    [LibraryImport(Library, EntryPoint = "virResetLastError")]
    internal static partial void ResetLastError();

    // ---- connections

    [LibraryImport(Library, EntryPoint = "virConnectOpen", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeConnectHandle ConnectOpen(string? name);

    [LibraryImport(Library, EntryPoint = "virConnectOpenReadOnly", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeConnectHandle ConnectOpenReadOnly(string? name);

    [LibraryImport(Library, EntryPoint = "virConnectClose")]
    internal static partial int ConnectClose(IntPtr conn);

    /// <summary>The canonical URI of the connection; the caller frees the string.</summary>
    [LibraryImport(Library, EntryPoint = "virConnectGetURI")]
    internal static partial IntPtr ConnectGetUri(SafeConnectHandle conn);

    [LibraryImport(Library, EntryPoint = "virConnectGetLibVersion")]
    internal static partial int ConnectGetLibVersion(SafeConnectHandle conn, out ulong libVer);

    /// <summary>The capabilities XML; the caller frees the string.</summary>
    [LibraryImport(Library, EntryPoint = "virConnectGetCapabilities")]
    internal static partial IntPtr ConnectGetCapabilities(SafeConnectHandle conn);

    [LibraryImport(Library, EntryPoint = "virNodeGetInfo")]
    internal static partial int NodeGetInfo(SafeConnectHandle conn, out NodeInfo info);

    /// <summary>
    /// Free pages of each size in <paramref name="pages"/> (KiB) on cells <paramref name="startCell"/> ..
    /// + <paramref name="cellCount"/>: <paramref name="counts"/> holds <c>npages * cellCount</c> values, cell-major.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "virNodeGetFreePages")]
    internal static unsafe partial int NodeGetFreePages(SafeConnectHandle conn, uint npages, uint* pages, int startCell, uint cellCount, ulong* counts, uint flags);

    /// <summary>Free memory in bytes of cells <paramref name="startCell"/> .. + <paramref name="maxCells"/>.</summary>
    [LibraryImport(Library, EntryPoint = "virNodeGetCellsFreeMemory")]
    internal static unsafe partial int NodeGetCellsFreeMemory(SafeConnectHandle conn, ulong* freeMems, int startCell, int maxCells);

    /// <summary>Number of host CPUs (the width of every cpumap), with map and online count not requested.</summary>
    [LibraryImport(Library, EntryPoint = "virNodeGetCPUMap")]
    internal static partial int NodeGetCpuMap(SafeConnectHandle conn, IntPtr cpumap, IntPtr online, uint flags);

    /// <summary>Every domain: <paramref name="domains"/> receives a malloc'd NULL-terminated array of references, each
    /// released with virDomainFree and the array with free().</summary>
    [LibraryImport(Library, EntryPoint = "virConnectListAllDomains")]
    internal static partial int ConnectListAllDomains(SafeConnectHandle conn, out IntPtr domains, uint flags);

    [LibraryImport(Library, EntryPoint = "virConnectGetAllDomainStats")]
    internal static partial int ConnectGetAllDomainStats(SafeConnectHandle conn, uint stats, out IntPtr records, uint flags);

    /// <summary>The statistics of the domains in <paramref name="doms"/>, a NULL-terminated array of borrowed domain pointers.</summary>
    [LibraryImport(Library, EntryPoint = "virDomainListGetStats")]
    internal static unsafe partial int DomainListGetStats(IntPtr* doms, uint stats, out IntPtr records, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainStatsRecordListFree")]
    internal static partial void DomainStatsRecordListFree(IntPtr records);

    // ---- domains

    [LibraryImport(Library, EntryPoint = "virDomainLookupByName", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeDomainHandle DomainLookupByName(SafeConnectHandle conn, string name);

    [LibraryImport(Library, EntryPoint = "virDomainDefineXMLFlags", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeDomainHandle DomainDefineXmlFlags(SafeConnectHandle conn, string xml, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainFree")]
    internal static partial int DomainFree(IntPtr dom);

    /// <summary>Takes one more reference on a domain pointer (for a pointer taken out of a libvirt-owned array).</summary>
    [LibraryImport(Library, EntryPoint = "virDomainRef")]
    internal static partial int DomainRef(IntPtr dom);

    /// <summary>The domain's name; owned by the domain object, valid while the reference is held.</summary>
    [LibraryImport(Library, EntryPoint = "virDomainGetName")]
    internal static partial IntPtr DomainGetName(SafeDomainHandle dom);

    /// <summary>The same, on a pointer borrowed from a list libvirt owns (statistics records).</summary>
    [LibraryImport(Library, EntryPoint = "virDomainGetName")]
    internal static partial IntPtr DomainGetNameBorrowed(IntPtr dom);

    [LibraryImport(Library, EntryPoint = "virDomainGetState")]
    internal static partial int DomainGetState(SafeDomainHandle dom, out int state, out int reason, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainGetID")]
    internal static partial uint DomainGetId(SafeDomainHandle dom);

    /// <summary>The same, on a pointer borrowed from a list libvirt owns (statistics records); UINT_MAX when inactive.</summary>
    [LibraryImport(Library, EntryPoint = "virDomainGetID")]
    internal static partial uint DomainGetIdBorrowed(IntPtr dom);

    [LibraryImport(Library, EntryPoint = "virDomainIsPersistent")]
    internal static partial int DomainIsPersistent(SafeDomainHandle dom);

    /// <summary>The domain XML; the caller frees the string.</summary>
    [LibraryImport(Library, EntryPoint = "virDomainGetXMLDesc")]
    internal static partial IntPtr DomainGetXmlDesc(SafeDomainHandle dom, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainCreate")]
    internal static partial int DomainCreate(SafeDomainHandle dom);

    [LibraryImport(Library, EntryPoint = "virDomainDestroy")]
    internal static partial int DomainDestroy(SafeDomainHandle dom);

    [LibraryImport(Library, EntryPoint = "virDomainUndefine")]
    internal static partial int DomainUndefine(SafeDomainHandle dom);

    /// <summary>The domain's maximum memory in KiB (an <c>unsigned long</c>), 0 on failure.</summary>
    [LibraryImport(Library, EntryPoint = "virDomainGetMaxMemory")]
    internal static partial ulong DomainGetMaxMemory(SafeDomainHandle dom);

    [LibraryImport(Library, EntryPoint = "virDomainGetVcpusFlags")]
    internal static partial int DomainGetVcpusFlags(SafeDomainHandle dom, uint flags);

    // int virDomainSetVcpusFlags(virDomainPtr domain, unsigned int nvcpus, unsigned int flags)
    [LibraryImport(Library, EntryPoint = "virDomainSetVcpusFlags")]
    internal static partial int DomainSetVcpusFlags(SafeDomainHandle dom, uint nvcpus, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainPinVcpuFlags")]
    internal static unsafe partial int DomainPinVcpuFlags(SafeDomainHandle dom, uint vcpu, byte* cpumap, int maplen, uint flags);

    /// <summary>Fills <paramref name="ncpumaps"/> maps of <paramref name="maplen"/> bytes, vCPU-major; returns how many
    /// vCPUs it described.</summary>
    [LibraryImport(Library, EntryPoint = "virDomainGetVcpuPinInfo")]
    internal static unsafe partial int DomainGetVcpuPinInfo(SafeDomainHandle dom, int ncpumaps, byte* cpumaps, int maplen, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainPinEmulator")]
    internal static unsafe partial int DomainPinEmulator(SafeDomainHandle dom, byte* cpumap, int maplen, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainGetEmulatorPinInfo")]
    internal static unsafe partial int DomainGetEmulatorPinInfo(SafeDomainHandle dom, byte* cpumap, int maplen, uint flags);

    /// <summary>The scheduler's name (the caller frees it) and, in <paramref name="nparams"/>, its parameter count.</summary>
    [LibraryImport(Library, EntryPoint = "virDomainGetSchedulerType")]
    internal static partial IntPtr DomainGetSchedulerType(SafeDomainHandle dom, out int nparams);

    /// <summary>The state-of-now variant without flags: libvirt adds no <c>VIR_TYPED_PARAM_STRING_OKAY</c>, which
    /// some drivers (the test driver) refuse on the flags variant.</summary>
    [LibraryImport(Library, EntryPoint = "virDomainGetSchedulerParameters")]
    internal static unsafe partial int DomainGetSchedulerParameters(SafeDomainHandle dom, TypedParameter* parameters, ref int nparams);

    [LibraryImport(Library, EntryPoint = "virDomainGetSchedulerParametersFlags")]
    internal static unsafe partial int DomainGetSchedulerParametersFlags(SafeDomainHandle dom, TypedParameter* parameters, ref int nparams, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainSetSchedulerParametersFlags")]
    internal static unsafe partial int DomainSetSchedulerParametersFlags(SafeDomainHandle dom, TypedParameter* parameters, int nparams, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainGetNumaParameters")]
    internal static unsafe partial int DomainGetNumaParameters(SafeDomainHandle dom, TypedParameter* parameters, ref int nparams, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainSetNumaParameters")]
    internal static unsafe partial int DomainSetNumaParameters(SafeDomainHandle dom, TypedParameter* parameters, int nparams, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainGetBlkioParameters")]
    internal static unsafe partial int DomainGetBlkioParameters(SafeDomainHandle dom, TypedParameter* parameters, ref int nparams, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainSetBlkioParameters")]
    internal static unsafe partial int DomainSetBlkioParameters(SafeDomainHandle dom, TypedParameter* parameters, int nparams, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainGetMemoryParameters")]
    internal static unsafe partial int DomainGetMemoryParameters(SafeDomainHandle dom, TypedParameter* parameters, ref int nparams, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainSetMemoryParameters")]
    internal static unsafe partial int DomainSetMemoryParameters(SafeDomainHandle dom, TypedParameter* parameters, int nparams, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainGetInterfaceParameters", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int DomainGetInterfaceParameters(SafeDomainHandle dom, string device, TypedParameter* parameters, ref int nparams, uint flags);

    [LibraryImport(Library, EntryPoint = "virDomainSetInterfaceParameters", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int DomainSetInterfaceParameters(SafeDomainHandle dom, string device, TypedParameter* parameters, int nparams, uint flags);

    // int virDomainGetBlockIoTune(virDomainPtr dom, const char *disk, virTypedParameterPtr params, int *nparams, unsigned int flags)
    [LibraryImport(Library, EntryPoint = "virDomainGetBlockIoTune", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int DomainGetBlockIoTune(SafeDomainHandle dom, string disk, TypedParameter* parameters, ref int nparams, uint flags);

    // int virDomainSetBlockIoTune(virDomainPtr dom, const char *disk, virTypedParameterPtr params, int nparams, unsigned int flags)
    [LibraryImport(Library, EntryPoint = "virDomainSetBlockIoTune", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int DomainSetBlockIoTune(SafeDomainHandle dom, string disk, TypedParameter* parameters, int nparams, uint flags);

    /// <summary>Frees the strings inside a parameter array libvirt filled, not the array itself.</summary>
    [LibraryImport(Library, EntryPoint = "virTypedParamsClear")]
    internal static unsafe partial void TypedParamsClear(TypedParameter* parameters, int nparams);

    // ---- events

    /// <summary>Installs libvirt's own poll-based event loop implementation; must precede the connections that
    /// subscribe to events.</summary>
    [LibraryImport(Library, EntryPoint = "virEventRegisterDefaultImpl")]
    internal static partial int EventRegisterDefaultImpl();

    /// <summary>Runs one iteration of the default event loop (blocks until something happens).</summary>
    [LibraryImport(Library, EntryPoint = "virEventRunDefaultImpl")]
    internal static partial int EventRunDefaultImpl();

    // virDomainEventID: VIR_DOMAIN_EVENT_ID_LIFECYCLE delivers virConnectDomainEventCallback
    // (conn, dom, event, detail, opaque).
    internal const int EventIdLifecycle = 0;

    /// <summary>Registers <paramref name="callback"/> for <paramref name="eventId"/> on every domain (dom NULL); libvirt
    /// calls <paramref name="freeCallback"/> with <paramref name="opaque"/> once the registration is gone.</summary>
    [LibraryImport(Library, EntryPoint = "virConnectDomainEventRegisterAny")]
    internal static unsafe partial int ConnectDomainEventRegisterAny(SafeConnectHandle conn, IntPtr dom, int eventId, IntPtr callback, IntPtr opaque, IntPtr freeCallback);

    [LibraryImport(Library, EntryPoint = "virConnectDomainEventDeregisterAny")]
    internal static partial int ConnectDomainEventDeregisterAny(SafeConnectHandle conn, int callbackId);

    /// <summary>Registers virConnectCloseFunc (conn, reason, opaque): the connection to the daemon was lost.</summary>
    [LibraryImport(Library, EntryPoint = "virConnectRegisterCloseCallback")]
    internal static partial int ConnectRegisterCloseCallback(SafeConnectHandle conn, IntPtr callback, IntPtr opaque, IntPtr freeCallback);

    [LibraryImport(Library, EntryPoint = "virConnectUnregisterCloseCallback")]
    internal static partial int ConnectUnregisterCloseCallback(SafeConnectHandle conn, IntPtr callback);

    /// <summary>Sends a keepalive every <paramref name="interval"/> s; after <paramref name="count"/> unanswered ones the
    /// connection is closed (and the close callback runs). Needs the event loop.</summary>
    [LibraryImport(Library, EntryPoint = "virConnectSetKeepAlive")]
    internal static partial int ConnectSetKeepAlive(SafeConnectHandle conn, int interval, uint count);

    // ---- libc

    [LibraryImport("libc", EntryPoint = "free")]
    internal static partial void Free(IntPtr pointer);

    /// <summary>Copies a <c>char *</c> libvirt returned to the caller and frees it. Null stays null.</summary>
    internal static string? TakeString(IntPtr pointer)
    {
        if (pointer == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(pointer);
        }
        finally
        {
            Free(pointer);
        }
    }
}
