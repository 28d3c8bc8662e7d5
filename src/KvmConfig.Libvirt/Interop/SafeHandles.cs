using Microsoft.Win32.SafeHandles;

namespace KvmConfig.Libvirt.Interop;

/// <summary>A <c>virConnectPtr</c> reference, dropped with <c>virConnectClose</c>.</summary>
internal sealed class SafeConnectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the generated marshallers, which set the handle after the call.</summary>
    public SafeConnectHandle()
        : base(ownsHandle: true)
    {
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libvirt.ConnectClose(handle) >= 0;
}

/// <summary>A <c>virDomainPtr</c> reference, dropped with <c>virDomainFree</c>.</summary>
internal sealed class SafeDomainHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Used by the generated marshallers, which set the handle after the call.</summary>
    public SafeDomainHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>Wraps a pointer whose reference the caller already owns (one taken out of a listing).</summary>
    internal static SafeDomainHandle Own(IntPtr pointer)
    {
        var owned = new SafeDomainHandle();
        owned.SetHandle(pointer);
        return owned;
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libvirt.DomainFree(handle) == 0;
}
