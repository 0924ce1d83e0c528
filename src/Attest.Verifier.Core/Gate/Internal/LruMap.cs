namespace Attest.Verifier.Gate.Internal;

/// <summary>A thread-safe map that keeps at most a fixed number of entries, dropping the least recently used.</summary>
internal sealed class LruMap<TKey, TValue>
    where TKey : notnull
{
    private readonly int _capacity;
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, LinkedListNode<KeyValuePair<TKey, TValue>>> _entries;
    private readonly LinkedList<KeyValuePair<TKey, TValue>> _recency = new();

    public LruMap(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _entries = new Dictionary<TKey, LinkedListNode<KeyValuePair<TKey, TValue>>>(comparer);
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(TKey key, out TValue value)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<KeyValuePair<TKey, TValue>>? node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    public void Set(TKey key, TValue value)
    {
        lock (_lock)
        {
            if (_entries.Remove(key, out LinkedListNode<KeyValuePair<TKey, TValue>>? old))
            {
                _recency.Remove(old);
            }

            _entries[key] = _recency.AddFirst(new KeyValuePair<TKey, TValue>(key, value));
            while (_entries.Count > _capacity)
            {
                _entries.Remove(_recency.Last!.Value.Key);
                _recency.RemoveLast();
            }
        }
    }

    public void Remove(TKey key)
    {
        lock (_lock)
        {
            if (_entries.Remove(key, out LinkedListNode<KeyValuePair<TKey, TValue>>? old))
            {
                _recency.Remove(old);
            }
        }
    }
}
