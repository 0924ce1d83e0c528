using Attest.Tpm.Internal;
using Attest.Tpm.Marshalling;
using FsCheck.Xunit;

namespace Attest.Tpm.Tests;

public sealed class ResponseCodeTests
{
    [Theory]
    [InlineData(0x000u, "TPM_RC_SUCCESS")]
    [InlineData(0x100u, "TPM_RC_INITIALIZE")]
    [InlineData(0x101u, "TPM_RC_FAILURE")]
    [InlineData(0x14Cu, "TPM_RC_NV_DEFINED")]
    [InlineData(0x922u, "TPM_RC_RETRY")]
    [InlineData(0x908u, "TPM_RC_YIELDED")]
    [InlineData(0x90Au, "TPM_RC_TESTING")]
    [InlineData(0x921u, "TPM_RC_LOCKOUT")]
    [InlineData(0x98Eu, "TPM_RC_AUTH_FAIL")]
    [InlineData(0x18Bu, "TPM_RC_HANDLE")]
    [InlineData(0x2C4u, "TPM_RC_VALUE")]
    [InlineData(0x01Eu, "TPM_RC_BAD_TAG")]
    public void Name_KnownCodes_AreNamed(uint value, string name) =>
        Assert.Equal(name, new TpmResponseCode(value).Name);

    [Fact]
    public void Decode_Format1Parameter_ReportsParameterNumber()
    {
        // TPM_RC_VALUE + TPM_RC_P + TPM_RC_2: parameter 2 has a bad value.
        var rc = new TpmResponseCode(0x084 | 0x040 | 0x200);

        Assert.True(rc.IsFormat1);
        Assert.Equal(0x084u, rc.BaseCode);
        Assert.Equal(2, rc.ParameterNumber);
        Assert.Equal(0, rc.HandleNumber);
        Assert.Equal(0, rc.SessionNumber);
        Assert.Equal("TPM_RC_VALUE (0x000002C4) on parameter 2", rc.ToString());
    }

    [Fact]
    public void Decode_Format1Session_ReportsSessionNumber()
    {
        // TPM_RC_AUTH_FAIL + TPM_RC_S + TPM_RC_1: the first session's authorization failed.
        var rc = new TpmResponseCode(0x08E | 0x800 | 0x100);

        Assert.Equal(1, rc.SessionNumber);
        Assert.Equal(0, rc.ParameterNumber);
        Assert.Equal("TPM_RC_AUTH_FAIL (0x0000098E) on session 1", rc.ToString());
    }

    [Fact]
    public void Decode_Format1Handle_ReportsHandleNumber()
    {
        var rc = new TpmResponseCode(0x08B | 0x100);

        Assert.Equal(1, rc.HandleNumber);
        Assert.Equal(TpmResponseCode.Handle, rc.BaseCode);
        Assert.Equal("TPM_RC_HANDLE (0x0000018B) on handle 1", rc.ToString());
    }

    [Fact]
    public void Decode_Warnings_AreRetryableOnlyForRetryYieldedTesting()
    {
        Assert.True(new TpmResponseCode(0x922).IsRetryable);
        Assert.True(new TpmResponseCode(0x908).IsRetryable);
        Assert.True(new TpmResponseCode(0x90A).IsRetryable);
        Assert.True(new TpmResponseCode(0x922).IsWarning);
        Assert.False(new TpmResponseCode(0x921).IsRetryable);
        Assert.False(new TpmResponseCode(0x100).IsRetryable);
        Assert.False(new TpmResponseCode(0x100).IsWarning);
    }

    [Fact]
    public void Decode_VendorTpm12AndLayerCodes_AreLabelled()
    {
        Assert.Equal("vendor code 0x501", new TpmResponseCode(0x501).Name);
        Assert.Equal("TPM 1.2 code 0x00A", new TpmResponseCode(0x00A).Name);
        Assert.Equal("TSS layer 11 code 0x922", new TpmResponseCode(0x000B_0922).Name);
        Assert.False(new TpmResponseCode(0x000B_0922).IsRetryable);
    }

    [Property]
    public bool Decode_AnyFormat1Code_HasExactlyOneLocation(ushort raw)
    {
        var rc = new TpmResponseCode((uint)(raw & 0xFFF) | 0x080);
        int located = (rc.ParameterNumber != 0 ? 1 : 0) + (rc.SessionNumber != 0 ? 1 : 0) + (rc.HandleNumber != 0 ? 1 : 0);
        return rc.IsFormat1 && located <= 1 && (rc.BaseCode & 0x080) != 0 && rc.ToString().Length > 0;
    }

    [Fact]
    public void Response_ErrorCode_ThrowsTpmExceptionWithCommandAndCode()
    {
        byte[] response = Convert.FromHexString("80010000000A000009A2");

        TpmException ex = Assert.Throws<TpmException>(() => TpmFraming.Response(response, TpmCommandCode.Quote, 0, 1, out _));

        Assert.Equal(TpmCommandCode.Quote, ex.Command);
        Assert.Equal("TPM_RC_BAD_AUTH", ex.ResponseCode.Name);
        Assert.Equal(1, ex.ResponseCode.SessionNumber);
        Assert.Contains("TPM2_Quote failed: TPM_RC_BAD_AUTH", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Response_ErrorCodeWithBody_IsAFormatError()
    {
        byte[] response = Convert.FromHexString("80010000000C000001000000");

        Assert.Throws<TpmFormatException>(() => TpmFraming.Response(response, TpmCommandCode.Startup, 0, 0, out _));
    }
}
