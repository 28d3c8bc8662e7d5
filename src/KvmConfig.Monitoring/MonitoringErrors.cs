using System.Net;
using System.Net.Sockets;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Monitoring;

/// <summary>
/// Every failure this project reports: a history that cannot be opened, read or written, a sweep that cannot go on,
/// an exporter that cannot listen or load its web configuration. What went wrong, where, and what to do, in one place.
/// </summary>
internal static class MonitoringErrors
{
    /// <summary>Said of a history SQLite refuses as damaged.</summary>
    public const string DamagedHistoryHint =
        "move the file away to start a new history (sqlite3 FILE .recover may save what it holds), or pass another --history FILE";

    private const string NotOverwritten = "kvmconfig will not overwrite it";

    private static string WritableHint(string full) =>
        $"check that {Path.GetDirectoryName(full)} is a directory kvmconfig can write (ls -ld), or pass another --history FILE";

    // ---- History -------------------------------------------------------------------------------------------------

    public static KvmConfigException NoHistory(string full, string hint) =>
        new(Rules.Unreadable, $"there is no history database at {full}", full, hint);

    public static KvmConfigException HistoryEmpty(string full) =>
        new(Rules.Unreadable, $"{full} is empty: no history has been written to it yet", full,
            "kvmconfig serve --history FILE writes one; pass the file it writes with --history FILE");

    public static KvmConfigException HistoryIsADirectory(string full) =>
        new(Rules.Unreadable, $"{full} is a directory, not a history database file", full,
            $"pass a file name, e.g. --history {Path.Combine(full, "history.db")}");

    public static KvmConfigException HistoryDirectoryUncreatable(string dir, string full, Exception inner) =>
        new(Rules.Unreadable, $"cannot create the directory {dir} for the history database {full}: {inner.Message}", full, WritableHint(full), inner);

    /// <summary><paramref name="what"/> (write, prune, ...) failed on the history.</summary>
    public static KvmConfigException HistoryCannot(string what, string full, Exception inner) =>
        new(Rules.Unreadable, $"cannot {what} the history database {full}: {inner.Message}", full, WritableHint(full), inner);

    public static KvmConfigException HistoryUnreadable(string full, Exception inner) =>
        new(Rules.Unreadable, $"cannot read the history database {full}: {inner.Message}", full, inner: inner);

    /// <summary>An SQLite failure on an open history; <paramref name="damaged"/> when SQLite says the file is.</summary>
    public static KvmConfigException HistorySqlite(string path, Exception inner, bool damaged) =>
        new(Rules.Unreadable, $"history database {path}: {inner.Message}", path, damaged ? DamagedHistoryHint : WritableHint(path), inner);

    public static KvmConfigException HistoryForeignRow(string path, Exception inner) =>
        new(Rules.Unreadable, $"history database {path} holds a row kvmconfig did not write: {inner.Message}", path, DamagedHistoryHint, inner);

    /// <summary>A file that is not (or no longer) a history this kvmconfig reads: refused, never overwritten.</summary>
    public static KvmConfigException HistoryRefused(string full, string why, string? hint = null, Exception? inner = null) =>
        new(Rules.Unreadable, $"{full} {why}; {NotOverwritten}", full,
            hint ?? "pass another --history FILE (kvmconfig creates a new history where no file exists), or move this file away", inner);

    /// <summary>A history (or the part of it up to --until) with too little in it to forecast: <paramref name="why"/> says how much is needed.</summary>
    public static KvmConfigException HistoryTooShort(string full, string why) =>
        new(Rules.HistoryTooShort, $"{full}: {why}", full,
            "let kvmconfig serve record longer (its --interval sets how many sweeps a minute), or pass a longer --history FILE");

    // ---- Sweeps --------------------------------------------------------------------------------------------------

    public static KvmConfigException NotAPid(string path, string text) =>
        new(Rules.Unreadable, $"{path} does not hold a process id: '{text.Trim()}'", path,
            "libvirt writes it when it starts the domain; restart the domain or check libvirtd's state directory");

    public static KvmConfigException NoBlockStatistics(TimeSpan waited) =>
        new(Rules.LibvirtError, $"libvirt gave no block statistics within {waited.TotalSeconds:0.#} s",
            hint: "a domain's QEMU monitor may be stuck: virsh domstats --block DOMAIN shows which one does not answer");

    public static KvmConfigException ConnectionClosed(string uri, string reason) =>
        new(Rules.LibvirtUnavailable, $"the connection to {uri} was closed: {reason}");

    public static KvmConfigException ProcSourceForRemote(string uri) =>
        new(Rules.LibvirtUnavailable, $"the /proc source reads this host, and {uri} names another host", hint: "use --source libvirt (or auto) for a remote host");

    // ---- Exporter ------------------------------------------------------------------------------------------------

    public static KvmConfigException CertificateUnloadable(string? certFile, string? keyFile, Exception inner) =>
        new(Rules.Unreadable, $"cannot load the TLS certificate {certFile} with key {keyFile}: {inner.Message}", certFile,
            "give PEM files: the certificate (and chain) in cert_file, its unencrypted private key in key_file", inner);

    public static KvmConfigException WebConfigRefused(string path, long? line, string why, string hint) =>
        new(Rules.Unreadable, $"web configuration {path}{(line is null ? "" : $":{line}")}: {why}", path, hint);

    /// <summary>The exporter cannot listen on <paramref name="endpoint"/>: said by the socket's reason.</summary>
    public static KvmConfigException CannotListen(IPEndPoint endpoint, Exception e)
    {
        SocketError? code = null;
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                code = socket.SocketErrorCode;
                break;
            }
        }

        (string message, string hint) = code switch
        {
            SocketError.AddressAlreadyInUse => ($"address {endpoint} is already in use",
                $"another process listens there (ss -ltnp 'sport = :{endpoint.Port}' shows which); stop it or pass another --listen ADDRESS:PORT"),
            SocketError.AddressNotAvailable => ($"address {endpoint} is not an address of this host",
                $"pass one of this host's addresses, e.g. --listen 127.0.0.1:{endpoint.Port}"),
            SocketError.AccessDenied => ($"permission denied listening on {endpoint}",
                "ports below 1024 need root or CAP_NET_BIND_SERVICE; the default port is 9477"),
            _ => ($"cannot listen on {endpoint}: {e.Message}", "pass another --listen ADDRESS:PORT"),
        };
        return new KvmConfigException(Rules.ListenUnavailable, message, hint: hint, inner: e);
    }
}
