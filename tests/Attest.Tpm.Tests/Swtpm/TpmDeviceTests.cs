using System.Security.Cryptography;
using Attest.Tpm.Structures;
using Attest.Tpm.Transport;

namespace Attest.Tpm.Tests.Swtpm;

public sealed class TpmDeviceTests(SwtpmFixture fixture) : IClassFixture<SwtpmFixture>
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task Startup_FreshTpm_SucceedsOnceThenReportsInitialize()
    {
        await using SwtpmInstance swtpm = await SwtpmInstance.StartAsync();
        await using TpmDevice tpm = swtpm.OpenDevice();

        await tpm.StartupAsync(TpmStartupType.Clear, Ct);
        TpmException again = await Assert.ThrowsAsync<TpmException>(() => tpm.StartupAsync(TpmStartupType.Clear, Ct));

        Assert.Equal(TpmResponseCode.Initialize, again.ResponseCode.Value);
        Assert.Equal("TPM_RC_INITIALIZE", again.ResponseCode.Name);
        Assert.False(await tpm.EnsureStartedAsync(Ct));
    }

    [Fact]
    public async Task GetPcrBanks_Swtpm_ReportsSha1AndSha256With24Pcrs()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();

        PcrSelection banks = await tpm.GetPcrBanksAsync(Ct);

        PcrBankSelection sha256 = Assert.Single(banks.Banks, b => b.Hash == TpmAlgorithm.Sha256);
        PcrBankSelection sha1 = Assert.Single(banks.Banks, b => b.Hash == TpmAlgorithm.Sha1);
        Assert.Equal(Enumerable.Range(0, 24), sha256.Pcrs);
        Assert.Equal(Enumerable.Range(0, 24), sha1.Pcrs);
    }

    [Fact]
    public async Task GetProperty_NvBufferMax_Is1024OnSwtpm()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();

        Assert.Equal(1024u, await tpm.GetPropertyAsync(TpmProperty.NvBufferMax, Ct));
        Assert.Equal(0x322E3000u, await tpm.GetPropertyAsync(TpmProperty.FamilyIndicator, Ct));
    }

    [Fact]
    public async Task GetHandles_Persistent_ListsTheEksSwtpmSetupMade()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();

        IReadOnlyList<uint> handles = await tpm.GetHandlesAsync(0x8100_0000, Ct);

        Assert.Contains(0x8101_0001u, handles);
        Assert.Contains(0x8101_0016u, handles);
    }

    [Fact]
    public async Task GetRandom_MoreThanOneChunk_ReturnsDistinctBytes()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();

        byte[] a = await tpm.GetRandomAsync(100, Ct);
        byte[] b = await tpm.GetRandomAsync(100, Ct);

        Assert.Equal(100, a.Length);
        Assert.False(a.AsSpan().SequenceEqual(b));
    }

    [Fact]
    public async Task PcrRead_MoreThanEightPcrsInTwoBanks_ReturnsAllInSelectionOrder()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        var selection = new PcrSelection([
            new PcrBankSelection(TpmAlgorithm.Sha256, Enumerable.Range(0, 24)),
            new PcrBankSelection(TpmAlgorithm.Sha1, [0, 7, 17, 23]),
        ]);

        IReadOnlyList<PcrValue> values = await tpm.PcrReadAsync(selection, Ct);

        Assert.Equal(28, values.Count);
        Assert.Equal(selection.Enumerate().ToList(), values.Select(v => (v.Hash, v.Index)).ToList());
        Assert.All(values, v => Assert.Equal(v.Hash == TpmAlgorithm.Sha1 ? 20 : 32, v.Digest.Length));

        // PC Client: PCRs 17-22 reset to all ones (locality-reset PCRs) before a D-RTM event, 0-16 and 23 to zeros.
        Assert.All(values.Where(v => v.Index is >= 17 and <= 22), v => Assert.All(v.Digest.ToArray(), b => Assert.Equal(0xFF, b)));
        Assert.All(values.Where(v => v.Index == 23), v => Assert.All(v.Digest.ToArray(), b => Assert.Equal(0, b)));
    }

    [Fact]
    public async Task PcrExtend_Pcr16_NewValueIsHashOfOldValueAndDigest()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        PcrSelection pcr16 = PcrSelection.Sha256(16);
        byte[] digest = SHA256.HashData("PcrExtend_Pcr16"u8);

        byte[] before = (await tpm.PcrReadAsync(pcr16, Ct))[0].Digest.ToArray();
        await tpm.PcrExtendAsync(16, [(TpmAlgorithm.Sha256, digest)], Ct);
        byte[] after = (await tpm.PcrReadAsync(pcr16, Ct))[0].Digest.ToArray();

        Assert.Equal(SHA256.HashData([.. before, .. digest]), after);
    }

    [Fact]
    public async Task PcrExtend_WrongDigestLength_ThrowsBeforeSending()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();

        await Assert.ThrowsAsync<ArgumentException>(() => tpm.PcrExtendAsync(16, [(TpmAlgorithm.Sha256, new byte[20])], Ct));
    }

    [Fact]
    public async Task ReadPublic_MissingHandle_ThrowsHandleErrorOnHandle1()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();

        TpmException ex = await Assert.ThrowsAsync<TpmException>(() => tpm.ReadPublicAsync(0x8101_0F00, Ct));

        Assert.Equal(TpmCommandCode.ReadPublic, ex.Command);
        Assert.Equal(TpmResponseCode.Handle, ex.ResponseCode.BaseCode);
        Assert.Equal(1, ex.ResponseCode.HandleNumber);
    }

    [Fact]
    public async Task MssimFraming_SameTpm_AnswersLikeRaw()
    {
        await using var tpm = new TpmDevice(TpmTransport.Open(fixture.Instance.MssimTcti));

        Assert.Equal(1024u, await tpm.GetPropertyAsync(TpmProperty.NvBufferMax, Ct));
        Assert.Equal(3, (await tpm.PcrReadAsync(PcrSelection.Sha256(0, 1, 2), Ct)).Count);
    }

    [Fact]
    public async Task Dispose_AfterCreatePrimaryAndSession_LeavesNoTransientHandles()
    {
        await using (TpmDevice tpm = fixture.Instance.OpenDevice())
        {
            CreatePrimaryResponse key = await tpm.CreatePrimaryAsync(TpmHandles.Endorsement, Keys.TpmTemplates.AkEcdsaP256(), null, Ct);
            StartAuthSessionResponse session = await tpm.StartPolicySessionAsync(TpmAlgorithm.Sha256, null, Ct);
            Assert.Equal(2, tpm.TrackedHandles.Count);
            Assert.Contains(key.Handle, await tpm.GetHandlesAsync(0x8000_0000, Ct));
            Assert.Contains(session.Handle, await tpm.GetHandlesAsync(0x0200_0000, Ct));
        }

        await using TpmDevice check = fixture.Instance.OpenDevice();
        Assert.Empty(await check.GetHandlesAsync(0x8000_0000, Ct));
        Assert.Empty(await check.GetHandlesAsync(0x0200_0000, Ct));
    }

    [Fact]
    public async Task FlushContext_TransientObject_RemovesItFromTheTpm()
    {
        await using TpmDevice tpm = fixture.Instance.OpenDevice();
        CreatePrimaryResponse key = await tpm.CreatePrimaryAsync(TpmHandles.Endorsement, Keys.TpmTemplates.AkEcdsaP256(), null, Ct);
        Assert.Contains(key.Handle, await tpm.GetHandlesAsync(0x8000_0000, Ct));

        await tpm.FlushContextAsync(key.Handle, Ct);

        Assert.DoesNotContain(key.Handle, await tpm.GetHandlesAsync(0x8000_0000, Ct));
        Assert.Empty(tpm.TrackedHandles);
    }
}
