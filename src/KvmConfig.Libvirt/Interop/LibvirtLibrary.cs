using System.Reflection;
using System.Runtime.InteropServices;

namespace KvmConfig.Libvirt.Interop;

/// <summary>
/// Loads libvirt once per process: finds the library under its versioned names, initialises it, and installs a no-op
/// error handler so that libvirt never prints to stderr on its own (kvmconfig reports every error itself).
/// </summary>
internal static class LibvirtLibrary
{
    // libvirt.so.0 is the runtime soname on every distribution; the unversioned name exists only with -dev packages.
    private static readonly string[] Names = [Libvirt.Library, "libvirt.so", "libvirt"];

    private static readonly Lazy<Exception?> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    // Kept alive for the life of the process: libvirt holds the function pointer.
    private static readonly Libvirt.ErrorFunc Silent = (_, _) => { };

    /// <summary>Makes sure libvirt is loaded and quiet; throws a <see cref="LibvirtException"/> when it is missing.</summary>
    public static void Ensure()
    {
        if (Loaded.Value is { } failure)
        {
            throw LibvirtException.NotInstalled(failure);
        }
    }

    private static Exception? Load()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(LibvirtLibrary).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // A resolver was already set for this assembly (tests that load it twice): keep it.
        }

        try
        {
            if (Libvirt.Initialize() != 0)
            {
                return new InvalidOperationException("virInitialize failed");
            }

            Libvirt.SetErrorFunc(IntPtr.Zero, Marshal.GetFunctionPointerForDelegate(Silent));
            return null;
        }
        catch (DllNotFoundException e)
        {
            return e;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Libvirt.Library)
        {
            return IntPtr.Zero;
        }

        foreach (string candidate in Names)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out IntPtr handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }
}
