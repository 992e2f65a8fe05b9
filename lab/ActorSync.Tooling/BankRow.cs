using System.Globalization;
using ActorSync.Data;

namespace ActorSync.Tooling;

/// <summary>One row of the UCI Bank Marketing data, with the 17 columns of bank.csv.</summary>
public sealed record BankRow(
    int Age, string Job, string Marital, string Education, string Default, int Balance, string Housing, string Loan,
    string Contact, int Day, string Month, int Duration, int Campaign, int Pdays, int Previous, string Poutcome, string Y)
{
    public object[] Values() =>
        [Age, Job, Marital, Education, Default, Balance, Housing, Loan, Contact, Day, Month, Duration, Campaign, Pdays, Previous, Poutcome, Y];

    /// <summary>The columns after the key, with the MySQL types both sources declare.</summary>
    private static readonly (string Name, string Type)[] Declared =
    [
        ("age", "TINYINT UNSIGNED"), ("job", "VARCHAR(32)"), ("marital", "VARCHAR(16)"), ("education", "VARCHAR(16)"),
        ("default", "ENUM('yes','no')"), ("balance", "INT"), ("housing", "ENUM('yes','no')"), ("loan", "ENUM('yes','no')"),
        ("contact", "VARCHAR(16)"), ("day", "TINYINT UNSIGNED"), ("month", "CHAR(3)"), ("duration", "INT UNSIGNED"),
        ("campaign", "SMALLINT UNSIGNED"), ("pdays", "SMALLINT"), ("previous", "SMALLINT UNSIGNED"), ("poutcome", "VARCHAR(16)"),
        ("y", "ENUM('yes','no')"),
    ];

    /// <summary>The 17 columns of bank.csv, in its order.</summary>
    public static readonly string[] Columns = Declared.Select(c => c.Name).ToArray();

    /// <summary>The MySQL table: proper types, a surrogate key, and an updated_at watermark the server maintains.</summary>
    public static string CreateTableSql(string table) => $"""
        CREATE TABLE {SqlIdentifier.MySql(table)} (
          `id` INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        {string.Join("\n", Declared.Select(c => $"  {SqlIdentifier.MySql(c.Name)} {c.Type} NOT NULL,"))}
          `updated_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
        """;

    /// <summary>
    /// The same table in a SQLite source: the same declared MySQL types (so the same canonical schema and digests),
    /// and a trigger that moves updated_at on every update, as MySQL's ON UPDATE does.
    /// </summary>
    public static string CreateSqliteTableSql(string table)
    {
        var name = SqlIdentifier.Sqlite(table);
        const string Now = "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')";
        return $"""
            CREATE TABLE {name} (
              "id" INT UNSIGNED NOT NULL PRIMARY KEY,
            {string.Join("\n", Declared.Select(c => $"  {SqliteColumn(c.Name, c.Type)},"))}
              "updated_at" DATETIME(6) NOT NULL DEFAULT {Now}
            );
            CREATE TRIGGER {SqlIdentifier.Sqlite(table + "_updated_at")} AFTER UPDATE ON {name} FOR EACH ROW WHEN NEW."updated_at" IS OLD."updated_at"
            BEGIN UPDATE {name} SET "updated_at" = {Now} WHERE "id" = NEW."id"; END;
            """;
    }

    /// <summary>SQLite's type names take no value list, so ENUM('a','b') becomes ENUM with a CHECK on its values.</summary>
    private static string SqliteColumn(string name, string type)
    {
        var quoted = SqlIdentifier.Sqlite(name);
        return type.StartsWith("ENUM(", StringComparison.Ordinal)
            ? $"{quoted} ENUM NOT NULL CHECK ({quoted} IN {type["ENUM".Length..]})"
            : $"{quoted} {type} NOT NULL";
    }

    /// <summary>Reads bank.csv or bank-full.csv (LF or CRLF), checking the header and each line's fields.</summary>
    public static IEnumerable<BankRow> ReadCsv(string path)
    {
        if (!File.Exists(path)) throw new DataEdgeException($"CSV file {path} does not exist.");
        using var reader = new StreamReader(path);
        var header = reader.ReadLine()?.TrimEnd('\r');
        if (header != string.Join(",", Columns))
            throw new DataEdgeException($"{path} line 1: expected the bank header '{string.Join(",", Columns)}', got '{header}'.");
        int lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            line = line.TrimEnd('\r');
            if (line.Length == 0) continue;
            var f = line.Split(',');
            if (f.Length != Columns.Length)
                throw new DataEdgeException($"{path} line {lineNumber}: expected {Columns.Length} fields, got {f.Length}.");
            int Int(int i) => int.TryParse(f[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
                ? v : throw new DataEdgeException($"{path} line {lineNumber}: column '{Columns[i]}' is not a whole number: '{f[i]}'.");
            yield return new BankRow(Int(0), f[1], f[2], f[3], f[4], Int(5), f[6], f[7], f[8], Int(9), f[10], Int(11), Int(12), Int(13), Int(14), f[15], f[16]);
        }
    }

    /// <summary>Synthetic bank-shaped rows for scale tests: the same columns and value ranges, deterministic per seed.</summary>
    public static IEnumerable<BankRow> Generate(long count, int seed = 1)
    {
        string[] jobs = ["admin.", "blue-collar", "entrepreneur", "housemaid", "management", "retired", "self-employed", "services", "student", "technician", "unemployed", "unknown"];
        string[] marital = ["married", "single", "divorced"];
        string[] education = ["primary", "secondary", "tertiary", "unknown"];
        string[] contact = ["cellular", "telephone", "unknown"];
        string[] months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
        string[] outcome = ["unknown", "failure", "other", "success"];
        var random = new Random(seed);
        string YesNo(double yes) => random.NextDouble() < yes ? "yes" : "no";
        for (long i = 0; i < count; i++)
        {
            bool contacted = random.NextDouble() < 0.18;
            yield return new BankRow(
                18 + random.Next(78), jobs[random.Next(jobs.Length)], marital[random.Next(marital.Length)], education[random.Next(education.Length)],
                YesNo(0.02), random.Next(-8019, 102128) / (random.NextDouble() < 0.9 ? 20 : 1), YesNo(0.56), YesNo(0.16),
                contact[random.Next(contact.Length)], 1 + random.Next(31), months[random.Next(months.Length)], random.Next(4919),
                1 + random.Next(63), contacted ? 1 + random.Next(871) : -1, contacted ? random.Next(276) : 0,
                contacted ? outcome[1 + random.Next(3)] : "unknown", YesNo(0.12));
        }
    }
}
