namespace Attest.Transparency.Cosignatures;

/// <summary>The one place where cosignature errors are worded (c2sp.org/tlog-cosignature).</summary>
internal static class CosignatureError
{
    public static FormatException Format(string message) => new(message);

    public static ArgumentException BadSeed(string parameter) => new("an Ed25519 seed is 32 bytes", parameter);

    public static ArgumentException BadPublicKey(string parameter) => new("not a 32-byte Ed25519 public key", parameter);

    public static string NotCosignatureKey(byte type) =>
        $"malformed key: expected a cosignature key (type 0x04), got type 0x{type:x2}";

    public static InvalidOperationException ClockBeforeEpoch() =>
        new("the clock is before the Unix epoch; cosignature timestamps are unsigned");
}
