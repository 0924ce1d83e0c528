using System.Globalization;

namespace Attest.LoadGen;

/// <summary>Collected latencies in milliseconds with exact percentiles (sorted at the end).</summary>
internal sealed class Latencies
{
    private readonly List<double> _values = [];

    public int Count
    {
        get
        {
            lock (_values)
            {
                return _values.Count;
            }
        }
    }

    public void Add(double milliseconds)
    {
        lock (_values)
        {
            _values.Add(milliseconds);
        }
    }

    public string Summary()
    {
        double[] sorted;
        lock (_values)
        {
            sorted = [.. _values];
        }

        if (sorted.Length == 0)
        {
            return "n=0";
        }

        Array.Sort(sorted);
        double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"n={sorted.Length} p50={P(0.50):F2} ms p90={P(0.90):F2} ms p99={P(0.99):F2} ms max={sorted[^1]:F2} ms");
    }
}
