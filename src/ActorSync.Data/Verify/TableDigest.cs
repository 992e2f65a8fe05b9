using System.Buffers.Binary;
using System.IO.Hashing;
using ActorSync.Data.Encoding;
using ActorSync.Data.Schema;

namespace ActorSync.Data.Verify;

/// <summary>
/// An order-independent content digest of a table, like pt-table-checksum's chunk checksums but chunked by key hash
/// so it does not depend on either side's collation or row order: each row's XXH128 is added (mod 2^128) into one
/// of 256 chunks chosen by its key hash. Equal chunks and counts mean equal content; a differing chunk is then
/// compared row by row to name the keys that differ.
/// </summary>
public sealed class TableDigest
{
    public const int Chunks = 256;

    private readonly UInt128[] _sums = new UInt128[Chunks];
    private readonly long[] _counts = new long[Chunks];
    private readonly TableSchema _table;
    private readonly RowBuilder _key;

    public TableDigest(TableSchema table)
    {
        _table = table;
        _key = CanonicalRows.KeyBuilder(table);
    }

    public long Rows => _counts.Sum();

    public void Add(ReadOnlySpan<byte> row) => Add(XxHash3.HashToUInt64(CanonicalRows.Key(row, _table, _key)), row);

    /// <summary>Adds a row whose key hash (XXH3 of its canonical key, as <see cref="CanonicalRows.Bucket"/> uses) is known.</summary>
    public void Add(ulong keyHash, ReadOnlySpan<byte> row)
    {
        int chunk = (int)(keyHash >> 56);
        _sums[chunk] += XxHash128.HashToUInt128(row);
        _counts[chunk]++;
    }

    /// <summary>Adds every row of another digest of the same table: the digest of a union of disjoint row sets.</summary>
    public void Add(TableDigest other)
    {
        for (int c = 0; c < Chunks; c++)
        {
            _sums[c] += other._sums[c];
            _counts[c] += other._counts[c];
        }
    }

    public int ChunkOf(ReadOnlySpan<byte> key) => (int)(XxHash3.HashToUInt64(key) >> 56);

    public string Hex
    {
        get
        {
            var hash = new XxHash128();
            Span<byte> word = stackalloc byte[24];
            for (int c = 0; c < Chunks; c++)
            {
                BinaryPrimitives.WriteUInt128LittleEndian(word, _sums[c]);
                BinaryPrimitives.WriteInt64LittleEndian(word[16..], _counts[c]);
                hash.Append(word);
            }
            return Convert.ToHexStringLower(hash.GetCurrentHash());
        }
    }

    public IReadOnlyList<int> DifferingChunks(TableDigest other) =>
        Enumerable.Range(0, Chunks).Where(c => _sums[c] != other._sums[c] || _counts[c] != other._counts[c]).ToArray();
}
