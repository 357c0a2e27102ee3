using System.Runtime.InteropServices;

namespace CrossModal.Tensors.Cpu;

/// <summary>The C library (glibc's <c>libc.so.6</c>): process environment as native code sees it.</summary>
internal static partial class NativeMethods
{
    /// <summary><c>int setenv(const char* name, const char* value, int overwrite)</c>; 0 on success.</summary>
    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SetEnv(string name, string value, int overwrite);
}
